package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/privacy"
	"wangge/internal/store"
	"wangge/internal/unit"
)

var (
	uuidRe  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	dateRe  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	monthRe = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
)

// movePerson answers POST /api/persons/{id}/moves {"kind": "in"|"out",
// "household_id", "on_date", "note"}: appended, never overwritten.
func (s *Server) movePerson(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return apperr.New(apperr.ErrInvalid, "person id %q: want a positive integer", c.Param("id"))
	}
	var in struct {
		Kind        string `json:"kind"`
		HouseholdID int64  `json:"household_id"`
		OnDate      string `json:"on_date"`
		Note        string `json:"note"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if _, err := time.Parse("2006-01-02", in.OnDate); err != nil || !dateRe.MatchString(in.OnDate) {
		return apperr.New(apperr.ErrInvalid, "on_date %q: want YYYY-MM-DD", in.OnDate)
	}
	if in.Note, err = incidents.CleanText("note", in.Note, 500); err != nil {
		return err
	}
	ctx := c.Request().Context()
	grid, err := s.opt.Store.PersonGrid(ctx, id)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.WritePersons, grid); err != nil {
		return err
	}
	if in.Kind == "in" {
		g, err := s.opt.Store.HouseholdGrid(ctx, in.HouseholdID)
		if err != nil {
			return err
		}
		if err := authorize(c, auth.WritePersons, g); err != nil {
			return err
		}
	}
	moves, err := s.opt.Store.MovePerson(ctx, id, in.Kind, in.HouseholdID, in.OnDate, in.Note, principal(c).UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"person_id": id, "moves": moves})
}

// 四必问: the four questions every visit asks.
var visitQuestions = []string{"troubles", "satisfaction", "suggestions", "needs_help"}

// recordVisit answers POST /api/visits: stored once under the client's
// UUID (201), the same body again 200, another body under it 409.
func (s *Server) recordVisit(c echo.Context) error {
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "request body: %v", err)
	}
	var in struct {
		ID          string            `json:"id"`
		HouseholdID int64             `json:"household_id"`
		PersonID    *int64            `json:"person_id"`
		OrgID       *int64            `json:"organisation_id"`
		VisitedAt   time.Time         `json:"visited_at"`
		Lon         float64           `json:"lon"`
		Lat         float64           `json:"lat"`
		Answers     map[string]string `json:"answers"`
		Note        string            `json:"note"`
		FollowUp    json.RawMessage   `json:"follow_up"` // false | true | {"category", "description"}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apperr.New(apperr.ErrInvalid, "request body is not valid JSON: %v", err)
	}
	if !uuidRe.MatchString(in.ID) {
		return apperr.New(apperr.ErrInvalid, "id %q: want a lower-case UUID chosen by the device", in.ID)
	}
	if in.Lon < 73 || in.Lon > 136 || in.Lat < 3 || in.Lat > 54 {
		return apperr.New(apperr.ErrInvalid, "lon/lat %v,%v: outside China (EPSG:4326)", in.Lon, in.Lat)
	}
	now := time.Now()
	if in.VisitedAt.IsZero() || in.VisitedAt.After(now.Add(10*time.Minute)) || in.VisitedAt.Before(now.AddDate(-1, 0, 0)) {
		return apperr.New(apperr.ErrInvalid, "visited_at: want a time in the last year, not in the future")
	}
	for k, v := range in.Answers {
		if !slices.Contains(visitQuestions, k) {
			return apperr.New(apperr.ErrInvalid, "answers: %q is not one of the four questions (%s)", k, strings.Join(visitQuestions, ", "))
		}
		if _, err := incidents.CleanText("answers."+k, v, 1000); err != nil {
			return err
		}
	}
	if in.Note, err = incidents.CleanText("note", in.Note, 2000); err != nil {
		return err
	}
	ctx := c.Request().Context()
	grid, err := s.visitGrid(ctx, in.HouseholdID, in.PersonID, in.OrgID)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.RecordVisits, grid); err != nil {
		return err
	}
	// A follow-up with a category opens an incident (事件) at the visit's point.
	var fu struct {
		Category    string `json:"category"`
		Description string `json:"description"`
	}
	followUp := false
	switch t := strings.TrimSpace(string(in.FollowUp)); {
	case t == "" || t == "null" || t == "false":
	case t == "true":
		followUp = true
	default:
		fd := json.NewDecoder(strings.NewReader(t))
		fd.DisallowUnknownFields()
		if err := fd.Decode(&fu); err != nil || fu.Category == "" {
			return apperr.New(apperr.ErrInvalid, "follow_up: want true/false or {\"category\", \"description\"} with a category")
		}
		followUp = true
	}
	answers, _ := json.Marshal(in.Answers)
	sum := sha256.Sum256(raw)
	v := store.Visit{ID: in.ID, HouseholdID: in.HouseholdID, PersonID: in.PersonID, OrganisationID: in.OrgID, VisitedAt: in.VisitedAt,
		Lon: in.Lon, Lat: in.Lat, Answers: answers, Note: in.Note, FollowUp: followUp}
	var open func(pgx.Tx) (string, error)
	if fu.Category != "" {
		open = func(tx pgx.Tx) (string, error) {
			at := in.VisitedAt
			// The case takes the visit's UUID: a retried visit never opens a second one.
			x, _, err := s.incidentService().SubmitTx(ctx, tx, principal(c),
				incidents.Report{ID: in.ID, Category: fu.Category, Lon: &in.Lon, Lat: &in.Lat, Description: fu.Description, ReportedAt: &at},
				"field", nil, auditBase(c, "incident.report", "incident", in.ID))
			return x.ID, err
		}
	}
	out, created, err := s.opt.Store.RecordVisit(ctx, v, sum[:], principal(c).UserID, open)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, out)
}

// visitGrid is the grid of a visit's household, or of its organisation
// (organisation_id instead of household_id and person_id).
func (s *Server) visitGrid(ctx context.Context, household int64, person, org *int64) (string, error) {
	if org != nil {
		if household != 0 || person != nil {
			return "", apperr.New(apperr.ErrInvalid, "a visit is to a household (household_id, person_id) or to an organisation (organisation_id), not both")
		}
		pl, err := s.opt.Store.PlaceByID(ctx, nil, *org)
		if err != nil {
			return "", err
		}
		return pl.GridCode, nil
	}
	grid, err := s.opt.Store.HouseholdGrid(ctx, household)
	if err != nil {
		return "", err
	}
	if grid == "" {
		return "", apperr.New(apperr.ErrInvalid, "household %d lies in no grid", household)
	}
	return grid, nil
}

// parseMonthAsOf reads month=YYYY-MM (default: this month) and as_of
// (RFC 3339; default now) so a due list can be asked again and get the same answer.
func parseMonthAsOf(c echo.Context) (time.Time, time.Time, error) {
	now := time.Now()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if v := c.QueryParam("month"); v != "" {
		if !monthRe.MatchString(v) {
			return month, now, apperr.New(apperr.ErrInvalid, "month %q: want YYYY-MM", v)
		}
		month, _ = time.Parse("2006-01", v)
	}
	asOf := now
	if v := c.QueryParam("as_of"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return month, now, apperr.New(apperr.ErrInvalid, "as_of %q: want RFC 3339", v)
		}
		asOf = t
	}
	return month, asOf, nil
}

// dueVisits answers GET /api/visits/due?grid=|worker=&month=&as_of=: the
// households (and the members that make them due) of one grid, or of every
// grid a worker serves. A sensitive rule category is shown as "sensitive".
func (s *Server) dueVisits(c echo.Context) error {
	ctx := c.Request().Context()
	month, asOf, err := parseMonthAsOf(c)
	if err != nil {
		return err
	}
	grid, worker := c.QueryParam("grid"), c.QueryParam("worker")
	var grids []string
	switch {
	case grid != "" && worker != "":
		return apperr.New(apperr.ErrInvalid, "give grid or worker, not both")
	case worker != "":
		if grids, err = s.opt.Store.VisitWorkerGrids(ctx, worker, asOf); err != nil {
			return err
		}
	case unit.IsGridCode(grid):
		grids = []string{grid}
	default:
		return apperr.New(apperr.ErrInvalid, "grid %q: want a 15-digit grid code (or worker=USERNAME)", grid)
	}
	for _, g := range grids {
		if err := authorize(c, auth.ReadHouseholds, g); err != nil {
			return err
		}
	}
	due, err := s.opt.Store.DueVisits(ctx, grids, month, asOf)
	if err != nil {
		return err
	}
	sensitive, err := s.opt.Store.PersonCategories(ctx)
	if err != nil {
		return err
	}
	for i := range due {
		if sensitive[due[i].Category] {
			due[i].Category = "sensitive"
		}
	}
	out := map[string]any{"month": month.Format("2006-01"), "as_of": asOf, "grids": grids, "due": due}
	if worker != "" {
		out["worker"] = worker
	} else {
		out["grid"] = grid
	}
	return c.JSON(http.StatusOK, out)
}

// visitReport answers GET /api/reports/visits?parent=&month=&as_of=: per
// grid due, done, overdue (aggregates only).
func (s *Server) visitReport(c echo.Context) error {
	parent := c.QueryParam("parent")
	if !unit.IsUnitCode(parent) {
		return apperr.New(apperr.ErrInvalid, "parent %q: want a unit code", parent)
	}
	if err := authorize(c, auth.ReadStats, parent); err != nil {
		return err
	}
	month, asOf, err := parseMonthAsOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	rows, err := s.opt.Store.VisitReport(ctx, parent, unit.PrefixLen(parent), month, asOf)
	if err != nil {
		return err
	}
	sensitive, err := s.opt.Store.PersonCategories(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		for k, n := range r.Categories {
			r.Categories[k] = privacy.Count(n, sensitive[k]) // -1: fewer than privacy.MinGroup
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"parent": parent, "month": month.Format("2006-01"), "grids": rows})
}
