package inspection

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/media"
	"wangge/internal/store"
)

// NewDrill is the body of POST /api/drills.
type NewDrill struct {
	ID           string   `json:"id"`
	GridCode     string   `json:"grid_code"`
	HeldOn       string   `json:"held_on"` // YYYY-MM-DD
	Scenario     string   `json:"scenario"`
	Participants int      `json:"participants"`
	Photos       []string `json:"photos"`
}

// RecordDrill stores a drill held by a grid of p's units: 201 first, the
// same again created false, another body under the id a conflict.
func (s *Service) RecordDrill(ctx context.Context, p auth.Principal, nd NewDrill, audit store.AuditEntry) (store.Drill, bool, error) {
	if !media.ValidUUID(nd.ID) {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "id %q is not a UUID", nd.ID)
	}
	nd.ID = strings.ToLower(nd.ID)
	now := s.now()
	day, err := time.ParseInLocation(time.DateOnly, nd.HeldOn, incidents.CST)
	if err != nil {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "held_on %q: want YYYY-MM-DD", nd.HeldOn)
	}
	if day.After(now) {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "held_on %s is in the future", nd.HeldOn)
	}
	if day.Before(now.AddDate(-1, 0, 0)) {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "held_on %s is more than a year ago", nd.HeldOn)
	}
	if nd.Scenario, err = incidents.CleanText("scenario", nd.Scenario, 500); err != nil {
		return store.Drill{}, false, err
	}
	if nd.Scenario == "" {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "scenario is required (e.g. 火灾疏散 fire evacuation)")
	}
	if nd.Participants < 1 || nd.Participants > 100000 {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "participants %d: want 1–100000", nd.Participants)
	}
	if len(nd.Photos) > MaxPhotos {
		return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "%d photos; the limit is %d", len(nd.Photos), MaxPhotos)
	}
	for i, ph := range nd.Photos {
		if !media.ValidUUID(ph) {
			return store.Drill{}, false, apperr.New(apperr.ErrInvalid, "photos[%d] %q is not a UUID", i, ph)
		}
		nd.Photos[i] = strings.ToLower(ph)
	}
	if nd.Photos == nil {
		nd.Photos = []string{}
	}
	slices.Sort(nd.Photos)
	if !p.Can(auth.RecordInspections, nd.GridCode) {
		return store.Drill{}, false, apperr.New(apperr.ErrForbidden, "grid %q is outside %s's units", nd.GridCode, p.Username)
	}
	canon, _ := json.Marshal([]any{nd.GridCode, nd.HeldOn, nd.Scenario, nd.Participants, nd.Photos})
	sum := sha256.Sum256(canon)
	var recorder *int64
	if p.UserID != 0 {
		recorder = &p.UserID
	}
	d := store.Drill{ID: nd.ID, GridCode: nd.GridCode, HeldOn: day, Scenario: nd.Scenario, Participants: nd.Participants,
		Photos: nd.Photos, RecordedBy: recorder, Recorder: p.Username, RequestHash: sum[:]}
	var out store.Drill
	created := false
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		exists, _, err := s.Store.GridContains(ctx, tx, nd.GridCode, 0, 0) // only whether the grid exists
		if err != nil {
			return err
		}
		if !exists {
			return apperr.New(apperr.ErrInvalid, "no grid %q", nd.GridCode)
		}
		if missing, err := s.Store.MissingMedia(ctx, tx, nd.Photos); err != nil {
			return err
		} else if len(missing) > 0 {
			return apperr.New(apperr.ErrInvalid, "photo %s is not uploaded (POST /api/media first)", missing[0])
		}
		inserted, err := s.Store.InsertDrill(ctx, tx, d)
		if err != nil {
			return err
		}
		old, err := s.Store.DrillByID(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		if !inserted {
			sameBy := (old.RecordedBy == nil) == (recorder == nil) && (recorder == nil || *old.RecordedBy == *recorder)
			if string(old.RequestHash) != string(d.RequestHash) || !sameBy {
				return apperr.New(apperr.ErrConflict, "id %s was already used for a different drill", d.ID)
			}
			out = old
			return nil
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "drill.record", "drill", d.ID
		audit.Details, _ = json.Marshal(map[string]any{"grid": d.GridCode, "held_on": nd.HeldOn, "participants": d.Participants})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		out, created = old, true
		return nil
	})
	return out, created, err
}

// DrillCheck is a dedicated grid's drill requirement this semester.
type DrillCheck struct {
	store.DrillStatus
	Semester time.Time `json:"semester"`
	Done     bool      `json:"done"`
}

// DrillChecks lists the school and enterprise grids of a unit and whether
// each held its drill this semester (每学期一次).
func (s *Service) DrillChecks(ctx context.Context, p auth.Principal, code string) ([]DrillCheck, error) {
	prefix, err := scope(p, code)
	if err != nil {
		return nil, err
	}
	sem := PeriodStart("semester", s.now())
	rows, err := s.Store.DrillStatuses(ctx, prefix, sem)
	if err != nil {
		return nil, err
	}
	out := make([]DrillCheck, len(rows))
	for i, r := range rows {
		out[i] = DrillCheck{DrillStatus: r, Semester: sem, Done: r.Drills > 0}
	}
	return out, nil
}
