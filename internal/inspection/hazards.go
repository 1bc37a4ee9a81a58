package inspection

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/media"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// States of a hazard.
var States = []string{"open", "overdue", "closed"}

// Prefix is the grid-code prefix of unit code's subtree.
func Prefix(code string) string { return code[:unit.PrefixLen(code)] }

// scope checks that p may read unit's hazards and returns its prefix; an
// empty unit is p's own scope.
func scope(p auth.Principal, code string) (string, error) {
	if code == "" {
		code = p.Unit
	}
	if code == "" {
		return "", nil
	}
	if len(code) != 12 && len(code) != 15 {
		return "", apperr.New(apperr.ErrInvalid, "unit %q: want a 12-digit unit or 15-digit grid code", code)
	}
	if !p.Can(auth.ReadHazards, code) {
		return "", apperr.New(apperr.ErrForbidden, "unit %s is outside %s's units", code, p.Username)
	}
	return Prefix(code), nil
}

// Hazards lists the hazards of a unit, in one state when state is set.
func (s *Service) Hazards(ctx context.Context, p auth.Principal, code, state string) ([]store.Hazard, error) {
	if state != "" && state != "open" && state != "overdue" && state != "closed" {
		return nil, apperr.New(apperr.ErrInvalid, "state %q: want open, overdue or closed", state)
	}
	prefix, err := scope(p, code)
	if err != nil {
		return nil, err
	}
	return s.Store.ListHazards(ctx, prefix, state, 5000)
}

// Close closes hazard id by a passing re-inspection of its place and item,
// made after the hazard was found. Without one it is refused (409): a
// rectification is closed only by a re-inspection.
func (s *Service) Close(ctx context.Context, p auth.Principal, id int64, inspection string, audit store.AuditEntry) (store.Hazard, error) {
	if !media.ValidUUID(inspection) {
		return store.Hazard{}, apperr.New(apperr.ErrInvalid, "inspection %q: want the id of the passing re-inspection", inspection)
	}
	inspection = strings.ToLower(inspection)
	var out store.Hazard
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		h, err := s.Store.HazardByID(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if !p.Can(auth.RecordInspections, h.GridCode) {
			return apperr.New(apperr.ErrForbidden, "hazard %d lies in grid %s, outside %s's units", id, h.GridCode, p.Username)
		}
		if h.State == "closed" {
			if h.ClosedBy != nil && *h.ClosedBy == inspection {
				out = h
				return nil
			}
			return apperr.New(apperr.ErrConflict, "hazard %d was closed by inspection %v", id, deref(h.ClosedBy))
		}
		x, err := s.Store.InspectionByID(ctx, tx, inspection)
		if err != nil {
			return apperr.New(apperr.ErrConflict, "hazard %d: no re-inspection %s; closing needs a passing re-inspection", id, inspection)
		}
		passed := false
		for _, r := range x.Results {
			passed = passed || (r.Item == h.Item && r.OK)
		}
		if x.PlaceID != h.PlaceID || !passed || x.InspectedAt.Before(h.FoundAt) || x.ID == h.InspectionID {
			return apperr.New(apperr.ErrConflict, "hazard %d: inspection %s is not a passing re-inspection of %q at place %d", id, inspection, h.Item, h.PlaceID)
		}
		if _, err := s.Store.CloseHazards(ctx, tx, h.PlaceID, h.Item, x.ID, x.InspectedAt); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "hazard.close", "hazard", itoa(id)
		audit.Details, _ = json.Marshal(map[string]any{"inspection": x.ID})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		out, err = s.Store.HazardByID(ctx, tx, id, false)
		return err
	})
	return out, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Sweep marks every open hazard whose deadline passed by asOf overdue
// (escalated as of asOf), in batches that commit on their own. It is
// idempotent: only open hazards are touched, so a second sweep as of the
// same moment changes nothing.
func (s *Service) Sweep(ctx context.Context, asOf time.Time) (int, error) {
	total := 0
	for pass := 0; pass < 100000; pass++ {
		n := 0
		err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
			ids, err := s.Store.MarkHazardsOverdue(ctx, tx, asOf, sweepBatch)
			if err != nil {
				return err
			}
			n = len(ids)
			for _, id := range ids {
				det, _ := json.Marshal(map[string]any{"as_of": asOf})
				if err := s.Store.Audit(ctx, tx, store.AuditEntry{Username: "system", Role: "system", Action: "hazard.overdue",
					ObjectType: "hazard", ObjectID: itoa(id), Details: det}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < sweepBatch {
			return total, nil
		}
	}
	return total, fmt.Errorf("inspection: sweep as of %s did not finish", asOf)
}
