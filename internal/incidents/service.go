package incidents

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/geo/precision"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/media"
	"wangge/internal/store"
	"wangge/internal/unit"
	"wangge/internal/workcal"
)

// Service runs the workflow over the store. Now is the clock (tests pass a
// fake one); nil means time.Now.
type Service struct {
	Store *store.Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Report is a field report as the device sends it.
type Report struct {
	ID          string     `json:"id"`
	Category    string     `json:"category"`
	Lon         *float64   `json:"lon"`
	Lat         *float64   `json:"lat"`
	CRS         string     `json:"crs"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Address     string     `json:"address"`
	ReportedAt  *time.Time `json:"reported_at"`
	Photos      []string   `json:"photos"`
	MediaURL    string     `json:"-"` // Open311 media_url, kept as given
}

// Limits of a report.
const (
	MaxText    = 4000
	MaxPhotos  = 9
	MaxAge     = 90 * 24 * time.Hour // an offline batch may be this old
	ClockSkew  = 10 * time.Minute    // a device clock may run this far ahead
	sweepBatch = 200
)

// CleanText checks that s is valid UTF-8 without NUL and at most max runes.
func CleanText(field, s string, max int) (string, error) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", apperr.New(apperr.ErrInvalid, "%s is not valid UTF-8 text", field)
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > max {
		return "", apperr.New(apperr.ErrInvalid, "%s has %d characters; the limit is %d", field, n, max)
	}
	return s, nil
}

// snap puts a coordinate on the 1e-7° grid of the database.

// normalise validates r and returns the point in WGS 84 and the request hash.
func (s *Service) normalise(r *Report, now time.Time) (orb.Point, []byte, error) {
	if !media.ValidUUID(r.ID) {
		return orb.Point{}, nil, apperr.New(apperr.ErrInvalid, "id %q is not a UUID (the device generates one per report)", r.ID)
	}
	r.ID = strings.ToLower(r.ID)
	if r.Lon == nil || r.Lat == nil {
		return orb.Point{}, nil, apperr.New(apperr.ErrInvalid, "lon and lat are required")
	}
	lon, lat := *r.Lon, *r.Lat
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return orb.Point{}, nil, apperr.New(apperr.ErrInvalid, "lon %v, lat %v: not a position on Earth", lon, lat)
	}
	sys := crs.WGS84
	if r.CRS != "" {
		var err error
		if sys, err = crs.Parse(r.CRS); err != nil {
			return orb.Point{}, nil, apperr.New(apperr.ErrInvalid, "%v", err)
		}
	}
	p := crs.ToWGS84(sys, orb.Point{lon, lat})
	p = precision.Point(p)
	if r.ReportedAt == nil {
		return p, nil, apperr.New(apperr.ErrInvalid, "reported_at is required (the time on the device when the report was made)")
	}
	at := r.ReportedAt.Truncate(time.Microsecond)
	if at.After(now.Add(ClockSkew)) {
		return p, nil, apperr.New(apperr.ErrInvalid, "reported_at %s is in the future", at.Format(time.RFC3339))
	}
	if at.Before(now.Add(-MaxAge)) {
		return p, nil, apperr.New(apperr.ErrInvalid, "reported_at %s is older than %s", at.Format(time.RFC3339), MaxAge)
	}
	r.ReportedAt = &at
	var err error
	if r.Title, err = CleanText("title", r.Title, 200); err != nil {
		return p, nil, err
	}
	if r.Description, err = CleanText("description", r.Description, MaxText); err != nil {
		return p, nil, err
	}
	if r.Address, err = CleanText("address", r.Address, 500); err != nil {
		return p, nil, err
	}
	if r.Description == "" {
		return p, nil, apperr.New(apperr.ErrInvalid, "description is required")
	}
	if len(r.Photos) > MaxPhotos {
		return p, nil, apperr.New(apperr.ErrInvalid, "%d photos; the limit is %d", len(r.Photos), MaxPhotos)
	}
	for i, id := range r.Photos {
		if !media.ValidUUID(id) {
			return p, nil, apperr.New(apperr.ErrInvalid, "photos[%d] %q is not a UUID", i, id)
		}
		r.Photos[i] = strings.ToLower(id)
	}
	photos := slices.Clone(r.Photos)
	slices.Sort(photos)
	canon, _ := json.Marshal([]any{r.Category, p[0], p[1], r.Title, r.Description, r.Address,
		r.ReportedAt.UTC().Format(time.RFC3339Nano), photos})
	sum := sha256.Sum256(canon)
	return p, sum[:], nil
}

// ActorLevel is the level of a user's unit scope ("" is the whole city).
func ActorLevel(scope string) int {
	switch unit.PrefixLen(scope) {
	case 0:
		return LevelCity
	case 6:
		return LevelDistrict
	case 9:
		return LevelStreet
	case 12:
		return LevelCommunity
	}
	if scope == "" {
		return LevelCity
	}
	return LevelGrid
}

// unitOf is the code a case is scoped by: its grid, else its community.
func unitOf(x store.Incident) string {
	return unitCode(x.GridCode, x.CommunityCode, x.RegionCode)
}

func unitCode(grid, community *string, region string) string {
	if grid != nil {
		return *grid
	}
	if community != nil {
		return *community
	}
	return region + "000000"
}

// Visible reports whether p may read case x: in p's units, or p reported it.
func Visible(p auth.Principal, x store.Incident) bool {
	if x.ReportedBy != nil && *x.ReportedBy == p.UserID {
		return true
	}
	return p.Can(auth.ReadIncidents, unitOf(x))
}

// Submit stores a report made by p (or, for Open311, by a client key). A
// retry with the same id and body returns the stored case and created false;
// the same id with another body (or another reporter) is a conflict.
func (s *Service) Submit(ctx context.Context, p auth.Principal, r Report, source string, key *int64, audit store.AuditEntry) (store.Incident, bool, error) {
	var out store.Incident
	created := false
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, created, err = s.SubmitTx(ctx, tx, p, r, source, key, audit)
		return err
	})
	return out, created, err
}

// SubmitTx is Submit inside the caller's transaction tx, so another record
// (a visit's follow-up) and its case commit together or not at all. It is
// the batch path (submit) with one report: one write path for both.
func (s *Service) SubmitTx(ctx context.Context, tx pgx.Tx, p auth.Principal, r Report, source string, key *int64, audit store.AuditEntry) (store.Incident, bool, error) {
	res, err := s.submit(ctx, tx, p, []Report{r}, source, key, audit)
	if err != nil {
		return store.Incident{}, false, err
	}
	return res[0].x, res[0].created, res[0].err
}

func ptr[T any](v T) *T { return &v }

// Transition is a request to move a case.
type Transition struct {
	To        string   `json:"to"`
	Note      string   `json:"note"`
	Version   *int     `json:"version"`   // the version the client saw; a moved case is a conflict
	Unit      string   `json:"unit"`      // dispatched: the unit or department
	Leader    string   `json:"leader"`    // dispatched (major disputes): the case leader
	Assisting []string `json:"assisting"` // dispatched: assisting units
	Hours     int      `json:"hours"`     // extended: working hours; dispatched: a deadline of its own
	Photos    []string `json:"photos"`
}

// Move applies one transition by p to case id, all in one transaction with
// its history entry and audit line. Refusals change nothing: 403 for the
// role, level or scope, 409 for the state (or a stale version).
func (s *Service) Move(ctx context.Context, p auth.Principal, id string, t Transition, audit store.AuditEntry) (store.Incident, error) {
	if !media.ValidUUID(id) {
		return store.Incident{}, apperr.New(apperr.ErrInvalid, "id %q is not a UUID", id)
	}
	var err error
	if t.Note, err = CleanText("note", t.Note, MaxText); err != nil {
		return store.Incident{}, err
	}
	if t.Unit, err = CleanText("unit", t.Unit, 200); err != nil {
		return store.Incident{}, err
	}
	if t.Leader, err = CleanText("leader", t.Leader, 100); err != nil {
		return store.Incident{}, err
	}
	if len(t.Assisting) > 20 || len(t.Photos) > MaxPhotos {
		return store.Incident{}, apperr.New(apperr.ErrInvalid, "at most 20 assisting units and %d photos", MaxPhotos)
	}
	for i := range t.Assisting {
		if t.Assisting[i], err = CleanText("assisting", t.Assisting[i], 200); err != nil {
			return store.Incident{}, err
		}
	}
	for i, ph := range t.Photos {
		if !media.ValidUUID(ph) {
			return store.Incident{}, apperr.New(apperr.ErrInvalid, "photos[%d] %q is not a UUID", i, ph)
		}
	}
	if t.Hours < 0 || t.Hours > 2000 {
		return store.Incident{}, apperr.New(apperr.ErrInvalid, "hours %d: want 1–2000 working hours", t.Hours)
	}
	now := s.now()
	var out store.Incident
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = s.move(ctx, tx, p, id, t, audit, now)
		return err
	})
	return out, err
}

// move is Move inside the caller's transaction (an approved extension
// request moves the case and settles the request together).
func (s *Service) move(ctx context.Context, tx pgx.Tx, p auth.Principal, id string, t Transition, audit store.AuditEntry, now time.Time) (store.Incident, error) {
	var out store.Incident
	err := func() error {
		x, err := s.Store.Incident(ctx, tx, strings.ToLower(id), true)
		if err != nil {
			return err
		}
		if !Visible(p, x) {
			return apperr.New(apperr.ErrNotFound, "no incident %s", id)
		}
		if !p.Can(auth.WriteIncidents, unitOf(x)) && !p.Can(auth.ApproveIncidents, unitOf(x)) {
			return apperr.New(apperr.ErrForbidden, "%s %s may not move cases of unit %s", p.Role, p.Username, unitOf(x))
		}
		if t.Version != nil && *t.Version != x.Version {
			return apperr.New(apperr.ErrConflict, "the case moved on (version %d, you saw %d): reload it", x.Version, *t.Version)
		}
		cat, err := s.Store.IncidentCategory(ctx, tx, x.Category)
		if err != nil {
			cat = store.IncidentCategory{Code: x.Category, HandlingType: x.Type, LimitHours: 40}
		}
		c := Case{Type: x.Type, Dispute: cat.Dispute, State: x.State, Level: x.Level}
		if x.ParkedFrom != nil {
			c.ParkedFrom = *x.ParkedFrom
		}
		m, err := Decide(c, actorOf(p), t.To)
		if err != nil {
			return err
		}
		switch {
		case m.NeedNote && t.Note == "":
			return apperr.New(apperr.ErrInvalid, "%s needs a note (feedback, public notice or reason)", t.To)
		case m.NeedUnit && t.Unit == "":
			return apperr.New(apperr.ErrInvalid, "dispatched needs the unit or department to dispatch to")
		case m.NeedHours && t.Hours == 0:
			return apperr.New(apperr.ErrInvalid, "extended needs hours (working hours to add)")
		}
		cal, err := s.Store.WorkCalendar(ctx, tx, unitOf(x))
		if err != nil {
			return err
		}
		u := store.IncidentUpdate{Seq: x.Seq, Version: x.Version, State: m.State, Level: m.Level, Valid: x.Valid,
			DueAt: x.DueAt, PausedAt: x.PausedAt, ParkedFrom: x.ParkedFrom, Overdue: x.Overdue, Escalations: x.Escalations,
			DispatchedTo: x.DispatchedTo, CaseLeader: x.CaseLeader, Assisting: x.Assisting, ClosedAt: x.ClosedAt, At: now}
		if m.Resume && u.PausedAt != nil {
			if u.DueAt != nil && u.DueAt.After(*u.PausedAt) {
				due, err := cal.Add(now, cal.Between(*u.PausedAt, *u.DueAt))
				if err != nil {
					return err
				}
				u.DueAt = &due
			}
			u.PausedAt = nil
		}
		if m.Pause && u.PausedAt == nil {
			u.PausedAt = &now
		}
		if m.State == Parked {
			u.ParkedFrom = ptr(x.State)
		} else if m.Resume {
			u.ParkedFrom = nil
		}
		limit := time.Duration(cat.LimitHours) * time.Hour
		if m.NewDeadline {
			due, err := cal.Add(now, limit)
			if err != nil {
				return err
			}
			u.DueAt, u.Escalations = &due, x.Escalations+1
		}
		switch t.To {
		case Extended:
			from := now
			if u.DueAt != nil && u.DueAt.After(now) {
				from = *u.DueAt
			}
			due, err := cal.Add(from, time.Duration(t.Hours)*time.Hour)
			if err != nil {
				return err
			}
			u.DueAt, u.Overdue = &due, false
		case Dispatched:
			u.DispatchedTo, u.CaseLeader, u.Assisting = t.Unit, t.Leader, t.Assisting
			if t.Hours > 0 {
				due, err := cal.Add(now, time.Duration(t.Hours)*time.Hour)
				if err != nil {
					return err
				}
				u.DueAt = &due
			}
		case Invalid:
			u.Valid, u.ClosedAt, u.PausedAt = ptr(false), &now, nil
		case Closed:
			u.Valid, u.ClosedAt, u.PausedAt = ptr(true), &now, nil
		}
		ok, err := s.Store.UpdateIncident(ctx, tx, u)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.ErrConflict, "the case moved on while this transition ran: reload it")
		}
		details := map[string]any{}
		if t.Unit != "" {
			details["unit"] = t.Unit
		}
		if t.Hours > 0 {
			details["hours"] = t.Hours
		}
		if t.Leader != "" {
			details["leader"], details["assisting"] = t.Leader, t.Assisting
		}
		var actor *int64
		if p.UserID != 0 {
			actor = &p.UserID
		}
		evID, err := s.Store.AddIncidentEvent(ctx, tx, x.Seq, store.IncidentEvent{Action: t.To, FromState: &x.State,
			ToState: m.State, FromLevel: &x.Level, ToLevel: &m.Level, Actor: actor, ActorName: p.Username,
			Note: t.Note, At: now, Details: details})
		if err != nil {
			return err
		}
		if err := s.Store.AttachMedia(ctx, tx, x.Seq, t.Photos, &evID, actor); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "incident."+t.To, "incident", x.ID
		audit.Details, _ = json.Marshal(map[string]any{"from": x.State, "to": m.State, "level": m.Level})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		out, err = s.Store.Incident(ctx, tx, x.ID, false)
		return err
	}()
	return out, err
}

// AttachPhotos adds photos uploaded by p to case id after the report (a
// report is never held back by a photo that failed to upload).
func (s *Service) AttachPhotos(ctx context.Context, p auth.Principal, id string, photos []string, audit store.AuditEntry) (store.Incident, error) {
	if !media.ValidUUID(id) {
		return store.Incident{}, apperr.New(apperr.ErrInvalid, "id %q is not a UUID", id)
	}
	if len(photos) == 0 || len(photos) > MaxPhotos {
		return store.Incident{}, apperr.New(apperr.ErrInvalid, "photos: want 1–%d ids", MaxPhotos)
	}
	for i, ph := range photos {
		if !media.ValidUUID(ph) {
			return store.Incident{}, apperr.New(apperr.ErrInvalid, "photos[%d] %q is not a UUID", i, ph)
		}
	}
	var out store.Incident
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		x, err := s.Store.Incident(ctx, tx, strings.ToLower(id), true)
		if err != nil {
			return err
		}
		if !Visible(p, x) { // as for reading it: a case outside one's scope is not found
			return apperr.New(apperr.ErrNotFound, "no incident %s", id)
		}
		if !p.Can(auth.WriteIncidents, "") {
			return apperr.New(apperr.ErrForbidden, "%s may not add photos to incident %s", p.Username, id)
		}
		if err := s.Store.AttachMedia(ctx, tx, x.Seq, photos, nil, &p.UserID); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "incident.photos", "incident", x.ID
		audit.Details, _ = json.Marshal(map[string]any{"photos": photos})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		out, err = s.Store.Incident(ctx, tx, x.ID, false)
		return err
	})
	return out, err
}

// Sweep escalates every open case whose clock ran out by asOf, one level up
// (community → street → district, 逐级上报), marks it overdue and starts the
// next level's limit from the moment it fell due. It is idempotent and
// deterministic: sweeping as of T twice, or as of T1 then T, leaves the same
// cases as one sweep as of T. Batches commit on their own, so a crash loses
// no committed escalation and the next sweep finishes the rest; row locks
// with SKIP LOCKED keep two instances from escalating one case twice.
func (s *Service) Sweep(ctx context.Context, asOf time.Time) (int, error) {
	return s.sweep(ctx, asOf, sweepBatch, nil)
}

// SweepBatches is Sweep with a batch size and a hook after each committed
// batch (tests stop a sweep in the middle with it).
func (s *Service) SweepBatches(ctx context.Context, asOf time.Time, batch int, afterBatch func(n int) error) (int, error) {
	return s.sweep(ctx, asOf, batch, afterBatch)
}

func (s *Service) sweep(ctx context.Context, asOf time.Time, batch int, afterBatch func(int) error) (int, error) {
	total := 0
	cals := map[string]workcal.Calendar{}
	limits := map[string]time.Duration{}
	// Each case moves at most three levels and is marked once at the top, so
	// the passes are bounded by the cases due; the cap guards against a bug.
	for pass := 0; pass < 100000; pass++ {
		n := 0
		err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
			due, err := s.Store.DueIncidents(ctx, tx, asOf, batch)
			if err != nil {
				return err
			}
			n = len(due)
			for _, d := range due {
				cal, ok := cals[d.Unit]
				if !ok {
					if cal, err = s.Store.WorkCalendar(ctx, tx, d.Unit); err != nil {
						return err
					}
					cals[d.Unit] = cal
				}
				limit, ok := limits[d.Category]
				if !ok {
					c, err := s.Store.IncidentCategory(ctx, tx, d.Category)
					limit = 40 * time.Hour
					if err == nil {
						limit = time.Duration(c.LimitHours) * time.Hour
					}
					limits[d.Category] = limit
				}
				if err := s.escalateDue(ctx, tx, d, cal, limit, asOf); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if afterBatch != nil {
			if err := afterBatch(n); err != nil {
				return total, err
			}
		}
		// A case escalated in this pass may be due again at the next level
		// (the sweep ran late): the next pass picks it up, until none is due.
		if n == 0 {
			return total, nil
		}
	}
	return total, fmt.Errorf("incidents: sweep as of %s did not finish", asOf)
}

func (s *Service) escalateDue(ctx context.Context, tx pgx.Tx, d store.DueIncident, cal workcal.Calendar, limit time.Duration, asOf time.Time) error {
	x, err := s.Store.IncidentBySeq(ctx, tx, d.Seq)
	if err != nil {
		return err
	}
	u := store.IncidentUpdate{Seq: x.Seq, Version: x.Version, State: x.State, Level: x.Level, Valid: x.Valid,
		DueAt: x.DueAt, PausedAt: x.PausedAt, ParkedFrom: x.ParkedFrom, Overdue: true, Escalations: x.Escalations,
		DispatchedTo: x.DispatchedTo, CaseLeader: x.CaseLeader, Assisting: x.Assisting, ClosedAt: x.ClosedAt, At: asOf}
	action, note := "overdue", "超期：已在区级 overdue at the district level"
	if x.Level > LevelDistrict {
		next, err := cal.Add(d.DueAt, limit)
		if err != nil {
			return err
		}
		u.Level, u.DueAt, u.Escalations = x.Level-1, &next, x.Escalations+1
		action, note = Escalated, fmt.Sprintf("超期自动上报 overdue: escalated to the %s", LevelNames[x.Level-1])
	}
	ok, err := s.Store.UpdateIncident(ctx, tx, u)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("incidents: sweep: case %s changed under its lock", x.ID)
	}
	if _, err := s.Store.AddIncidentEvent(ctx, tx, x.Seq, store.IncidentEvent{Action: action, FromState: &x.State,
		ToState: x.State, FromLevel: &x.Level, ToLevel: &u.Level, ActorName: "system", Note: note, At: d.DueAt,
		Details: map[string]any{"due_at": d.DueAt, "as_of": asOf}}); err != nil {
		return err
	}
	det, _ := json.Marshal(map[string]any{"level": u.Level, "due_at": d.DueAt})
	return s.Store.Audit(ctx, tx, store.AuditEntry{Username: "system", Role: "system", Action: "incident." + action,
		ObjectType: "incident", ObjectID: x.ID, Details: det})
}
