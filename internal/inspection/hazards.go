package inspection

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
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
// (escalated as of asOf) and opens an incident for each at its place, in
// batches that commit on their own. It is
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
				x, err := s.openIncident(ctx, tx, id, asOf)
				if err != nil {
					return err
				}
				det, _ := json.Marshal(map[string]any{"as_of": asOf, "incident": x})
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

// IncidentCategory is the incident catalogue's category of the cases an
// overdue hazard opens: 消防隐患 fire hazards.
const IncidentCategory = "fire"

// incidentID is the UUID of the case hazard id opens, derived from the id so
// that the case is one per hazard even if a sweep were repeated.
func incidentID(id int64) string {
	b := sha256.Sum256([]byte("wangge/hazard-incident/" + itoa(id)))
	b[6] = b[6]&0x0f | 0x50 // version 5 (name-based, here SHA-256)
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// openIncident opens the case of hazard id, just marked overdue, at its
// place's point in tx and stores it on the hazard; it returns the case's id.
func (s *Service) openIncident(ctx context.Context, tx pgx.Tx, id int64, asOf time.Time) (string, error) {
	h, err := s.Store.HazardByID(ctx, tx, id, false)
	if err != nil {
		return "", err
	}
	if h.IncidentID != nil {
		return *h.IncidentID, nil
	}
	// Reported as of the sweep's moment, kept within what a report may claim.
	now := s.now()
	at := asOf
	if at.After(now) || at.Before(now.Add(-incidents.MaxAge/2)) {
		at = now
	}
	inc := &incidents.Service{Store: s.Store, Now: s.Now}
	lon, lat := h.Lon, h.Lat
	x, _, err := inc.SubmitTx(ctx, tx, auth.Principal{Username: "system", Role: "system"}, incidents.Report{
		ID: incidentID(id), Category: IncidentCategory, Lon: &lon, Lat: &lat, ReportedAt: &at, Address: h.PlaceName,
		Title:       "隐患逾期未整改 Overdue hazard: " + h.PlaceName,
		Description: fmt.Sprintf("%s（%s）整改期限 %s 已过 deadline passed; 隐患 hazard #%d", h.ItemText, h.Severity, h.Deadline.In(incidents.CST).Format("2006-01-02 15:04"), id),
	}, "field", nil, store.AuditEntry{Username: "system", Role: "system"})
	if err != nil {
		return "", fmt.Errorf("inspection: incident of hazard %d: %w", id, err)
	}
	if _, err := s.Store.SetHazardIncident(ctx, tx, id, x.Seq); err != nil {
		return "", err
	}
	return x.ID, nil
}
