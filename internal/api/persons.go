package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/privacy"
	"wangge/internal/residents"
	"wangge/internal/store"
)

// reader is what the caller may see of persons: the sensitive list, their
// grants, and whether this request is an unmasked (reasoned) read.
type reader struct {
	sensitive, granted map[string]bool
	unmask             bool
	reason             string
}

// personReader reads ?unmask=1&reason=… (checked against Unmask in grid)
// and the caller's category grants.
func (s *Server) personReader(c echo.Context, grid string) (reader, error) {
	ctx := c.Request().Context()
	var r reader
	var err error
	if r.sensitive, err = s.opt.Store.PersonCategories(ctx); err != nil {
		return r, err
	}
	p := principal(c)
	if r.granted, err = s.opt.Store.SensitiveGrants(ctx, string(p.Role), p.UserID); err != nil {
		return r, err
	}
	if c.QueryParam("unmask") != "1" {
		return r, nil
	}
	if err := authorize(c, auth.Unmask, grid); err != nil {
		return r, err
	}
	r.reason = strings.TrimSpace(c.QueryParam("reason"))
	if r.reason == "" {
		return r, apperr.New(apperr.ErrInvalid, "unmask needs a reason (it is recorded in the audit log)")
	}
	r.unmask = true
	return r, nil
}

// show applies the masking rule to ps (in place) and, for an unmasked read,
// writes the audit line naming the persons and the sensitive categories
// shown, before anything leaves.
func (s *Server) show(c echo.Context, r reader, objectID string, ps []store.Person) error {
	ids := make([]int64, len(ps))
	shown := map[string][]string{}
	for i := range ps {
		ids[i] = ps[i].ID
		var sens []string
		ps[i].Categories, sens = privacy.Categories(ps[i].Categories, r.sensitive, r.granted, r.unmask)
		if len(sens) > 0 {
			shown[strconv.FormatInt(ps[i].ID, 10)] = sens
		}
		if !r.unmask {
			ps[i].Name = privacy.Name(ps[i].Name)
			ps[i].IDNumber = privacy.IDNumber(ps[i].IDNumber)
			ps[i].Phone = privacy.Phone(ps[i].Phone)
			ps[i].BirthDate = nil
		}
	}
	if !r.unmask {
		return nil
	}
	e := auditBase(c, "disclose", "person", objectID)
	e.Reason = r.reason
	e.Details, _ = json.Marshal(map[string]any{"person_ids": ids, "sensitive": shown})
	return s.opt.Store.Audit(c.Request().Context(), nil, e)
}

// createPerson answers POST /api/persons: a member into a household, with a
// move-in event (人进户).
func (s *Server) createPerson(c echo.Context) error {
	var in residents.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	now := time.Now()
	r, err := s.personReader(c, "")
	if err != nil {
		return err
	}
	p, err := residents.Check(in, r.sensitive, now)
	if err != nil {
		return err
	}
	if err := residents.Granted(p.Categories, r.sensitive, r.granted); err != nil {
		return err
	}
	if in.MoveIn, err = residents.CheckMoveIn(in.MoveIn, now); err != nil {
		return err
	}
	grid, err := s.opt.Store.HouseholdGrid(ctx, in.HouseholdID)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.WritePersons, grid); err != nil {
		return err
	}
	out, err := s.opt.Store.CreatePerson(ctx, p, in.MoveIn, principal(c).UserID)
	if err != nil {
		return err
	}
	ps := []store.Person{out}
	if err := s.show(c, r, "", ps); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ps[0])
}

// householdPersons answers GET /api/households/{id}/persons: masked, the
// sensitive categories hidden; &unmask=1&reason=… in clear (with the
// granted sensitive categories), audited.
func (s *Server) householdPersons(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return apperr.New(apperr.ErrInvalid, "household id %q: want a positive integer", c.Param("id"))
	}
	ctx := c.Request().Context()
	grid, err := s.opt.Store.HouseholdGrid(ctx, id)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ReadHouseholds, grid); err != nil {
		return err
	}
	r, err := s.personReader(c, grid)
	if err != nil {
		return err
	}
	ps, err := s.opt.Store.HouseholdPersons(ctx, id)
	if err != nil {
		return err
	}
	if err := s.show(c, r, "household:"+strconv.FormatInt(id, 10), ps); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"household_id": id, "masked": !r.unmask, "persons": ps})
}

// personAt reads {id} and checks a on the person's grid.
func (s *Server) personAt(c echo.Context, a auth.Action) (int64, string, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, "", apperr.New(apperr.ErrInvalid, "person id %q: want a positive integer", c.Param("id"))
	}
	grid, err := s.opt.Store.PersonGrid(c.Request().Context(), id)
	if err != nil {
		return 0, "", err
	}
	return id, grid, authorize(c, a, grid)
}

// getPerson answers GET /api/persons/{id}, masked like the list.
func (s *Server) getPerson(c echo.Context) error {
	id, grid, err := s.personAt(c, auth.ReadHouseholds)
	if err != nil {
		return err
	}
	r, err := s.personReader(c, grid)
	if err != nil {
		return err
	}
	p, err := s.opt.Store.GetPerson(c.Request().Context(), id)
	if err != nil {
		return err
	}
	ps := []store.Person{p}
	if err := s.show(c, r, strconv.FormatInt(id, 10), ps); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ps[0])
}

// patchPerson answers PATCH /api/persons/{id}: the fields given, validated
// like POST; the household is refused (that is a move). Sensitive
// categories the caller cannot see are kept.
func (s *Server) patchPerson(c echo.Context) error {
	id, _, err := s.personAt(c, auth.WritePersons)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<16))
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "request body: %v", err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return apperr.New(apperr.ErrInvalid, "request body is not a JSON object: %v", err)
	}
	if _, ok := keys["household_id"]; ok {
		return apperr.New(apperr.ErrInvalid, "household_id cannot be changed here: record a move (POST /api/persons/%d/moves)", id)
	}
	if _, ok := keys["move_in"]; ok {
		return apperr.New(apperr.ErrInvalid, "move_in cannot be changed: moves are events (POST /api/persons/%d/moves)", id)
	}
	ctx := c.Request().Context()
	old, err := s.opt.Store.GetPerson(ctx, id)
	if err != nil {
		return err
	}
	r, err := s.personReader(c, "")
	if err != nil {
		return err
	}
	in := residents.Input{Name: old.Name, IDNumber: old.IDNumber, Phone: old.Phone, Relation: old.Relation, Residence: old.Residence, Categories: old.Categories}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apperr.New(apperr.ErrInvalid, "request body: %v", err)
	}
	p, err := residents.Check(in, r.sensitive, time.Now())
	if err != nil {
		return err
	}
	if _, ok := keys["categories"]; ok {
		if err := residents.Granted(p.Categories, r.sensitive, r.granted); err != nil {
			return err
		}
		for _, k := range privacy.Keep(old.Categories, r.sensitive, r.granted) {
			if !slices.Contains(p.Categories, k) {
				p.Categories = append(p.Categories, k)
			}
		}
	}
	p.ID, p.HouseholdID = id, old.HouseholdID
	fields := make([]string, 0, len(keys))
	for k := range keys {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	e := auditBase(c, "person.update", "person", strconv.FormatInt(id, 10))
	e.Details, _ = json.Marshal(map[string]any{"fields": fields}) // names only: the values are personal
	out, err := s.opt.Store.UpdatePerson(ctx, p, e)
	if err != nil {
		return err
	}
	ps := []store.Person{out}
	r.unmask = false
	if err := s.show(c, r, "", ps); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ps[0])
}

// deletePerson answers DELETE /api/persons/{id}: a wrongly entered record
// (leaving a household is a move out), audited.
func (s *Server) deletePerson(c echo.Context) error {
	id, _, err := s.personAt(c, auth.WritePersons)
	if err != nil {
		return err
	}
	e := auditBase(c, "person.delete", "person", strconv.FormatInt(id, 10))
	if err := s.opt.Store.DeletePerson(c.Request().Context(), id, e); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
