package inspection

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/store"
)

// judge checks the results against the checklist and returns them in its
// order: every item answered once and no other; a number judged by its
// limits (the server sets ok); a photo item with a photo; a deadline only on
// a failed item, not in the past.
func judge(t store.InspectionTemplate, results []store.InspectionResult, now time.Time) ([]store.InspectionResult, map[string]time.Time, error) {
	byCode := map[string]store.InspectionResult{}
	for _, r := range results {
		if _, dup := byCode[r.Item]; dup {
			return nil, nil, apperr.New(apperr.ErrInvalid, "item %q is answered twice", r.Item)
		}
		byCode[r.Item] = r
	}
	out := make([]store.InspectionResult, 0, len(t.Items))
	deadlines := map[string]time.Time{}
	for _, it := range t.Items {
		r, ok := byCode[it.Code]
		if !ok {
			return nil, nil, apperr.New(apperr.ErrInvalid, "item %q of checklist %s/%d has no result", it.Code, t.Code, t.Version)
		}
		delete(byCode, it.Code)
		switch it.JudgedBy {
		case "number":
			if r.Value == nil {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q needs a value (a number)", it.Code)
			}
			r.OK = (it.Min == nil || *r.Value >= *it.Min) && (it.Max == nil || *r.Value <= *it.Max)
		case "photo":
			if len(r.Photos) == 0 {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q needs a photo", it.Code)
			}
			fallthrough
		default:
			if r.Value != nil {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q is judged %s and takes no value", it.Code, it.JudgedBy)
			}
		}
		if r.Deadline != "" {
			if r.OK {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q passed and takes no rectification deadline", it.Code)
			}
			d, err := time.ParseInLocation(time.DateOnly, r.Deadline, incidents.CST)
			if err != nil {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q: deadline %q: want YYYY-MM-DD", it.Code, r.Deadline)
			}
			d = d.Add(18*time.Hour + 30*time.Minute) // the end of that working day
			if d.Before(now) {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q: deadline %s is in the past", it.Code, r.Deadline)
			}
			if d.After(now.Add(maxDeadline)) {
				return nil, nil, apperr.New(apperr.ErrInvalid, "item %q: deadline %s is more than a year away", it.Code, r.Deadline)
			}
			deadlines[it.Code] = d
		}
		out = append(out, r)
	}
	for code := range byCode {
		return nil, nil, apperr.New(apperr.ErrInvalid, "item %q is not in checklist %s/%d", code, t.Code, t.Version)
	}
	return out, deadlines, nil
}

// Record stores an inspection by p and opens and closes hazards, in one
// transaction. A retry with the same id and body returns the stored one and
// created false; the same id with another body (or inspector) is a conflict.
func (s *Service) Record(ctx context.Context, p auth.Principal, sub Submission, audit store.AuditEntry) (Recorded, bool, error) {
	now := s.now()
	if err := s.normalise(&sub, now); err != nil {
		return Recorded{}, false, err
	}
	hash := hashOf(sub)
	var out Recorded
	created := false
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		if old, err := s.Store.InspectionByID(ctx, tx, sub.ID); err == nil {
			return s.replay(ctx, tx, p, old, hash, &out)
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
		place, err := s.Store.PlaceByID(ctx, tx, sub.PlaceID)
		if err != nil {
			return err
		}
		if !p.Can(auth.RecordInspections, place.GridCode) {
			return apperr.New(apperr.ErrForbidden, "place %d lies in grid %s, outside %s's units", place.ID, place.GridCode, p.Username)
		}
		tpl, err := s.Store.InspectionTemplate(ctx, tx, sub.Template, sub.TemplateVersion)
		if err != nil {
			return err
		}
		if tpl.Kind != place.Kind {
			return apperr.New(apperr.ErrInvalid, "checklist %s is for %s, place %d is a %s", tpl.Code, tpl.Kind, place.ID, place.Kind)
		}
		results, deadlines, err := judge(tpl, sub.Results, now)
		if err != nil {
			return err
		}
		var photos []string
		for _, r := range results {
			photos = append(photos, r.Photos...)
		}
		if len(photos) > 0 {
			missing, err := s.Store.MissingMedia(ctx, tx, photos)
			if err != nil {
				return err
			}
			if len(missing) > 0 {
				return apperr.New(apperr.ErrInvalid, "photo %s is not uploaded (POST /api/media first)", missing[0])
			}
		}
		dist, err := s.Store.PlaceDistance(ctx, tx, place.ID, *sub.Lon, *sub.Lat)
		if err != nil {
			return err
		}
		passed := true
		for _, r := range results {
			passed = passed && r.OK
		}
		var inspector *int64
		if p.UserID != 0 {
			inspector = &p.UserID
		}
		x := store.Inspection{ID: sub.ID, PlaceID: place.ID, TemplateCode: tpl.Code, TemplateVersion: tpl.Version,
			InspectorID: inspector, InspectorName: p.Username, InspectedAt: *sub.InspectedAt, Lon: *sub.Lon, Lat: *sub.Lat,
			DistanceM: dist, Far: dist > FarMetres, Passed: passed, Results: results, RegionCode: place.RegionCode, RequestHash: hash}
		inserted, err := s.Store.InsertInspection(ctx, tx, x)
		if err != nil {
			return err
		}
		if !inserted { // a concurrent retry won the insert
			old, err := s.Store.InspectionByID(ctx, tx, sub.ID)
			if err != nil {
				return err
			}
			return s.replay(ctx, tx, p, old, hash, &out)
		}
		if out, err = s.rectify(ctx, tx, place, tpl, x, deadlines); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "inspection.record", "inspection", x.ID
		audit.Details, _ = json.Marshal(map[string]any{"place": place.ID, "template": tpl.Code, "version": tpl.Version,
			"passed": passed, "far": x.Far, "opened": len(out.Opened), "closed": out.Closed})
		if err := s.Store.Audit(ctx, tx, audit); err != nil {
			return err
		}
		created = true
		return nil
	})
	return out, created, err
}

// replay answers a retry: the stored inspection for the same body and
// inspector, else a conflict.
func (s *Service) replay(ctx context.Context, tx pgx.Tx, p auth.Principal, old store.Inspection, hash []byte, out *Recorded) error {
	same := string(old.RequestHash) == string(hash) &&
		((old.InspectorID == nil && p.UserID == 0) || (old.InspectorID != nil && *old.InspectorID == p.UserID))
	if !same {
		return apperr.New(apperr.ErrConflict, "id %s was already used for a different inspection", old.ID)
	}
	opened, err := s.Store.HazardsOf(ctx, tx, old.ID)
	if err != nil {
		return err
	}
	*out = Recorded{Inspection: old, Opened: opened, Closed: []int64{}}
	return nil
}

// rectify opens a hazard for each failed item (unless one is open already)
// with its deadline in working days on the grid's calendar, and closes the
// open hazards of each passed item.
func (s *Service) rectify(ctx context.Context, tx pgx.Tx, place store.Place, tpl store.InspectionTemplate, x store.Inspection, deadlines map[string]time.Time) (Recorded, error) {
	out := Recorded{Inspection: x, Opened: []store.Hazard{}, Closed: []int64{}}
	cal, err := s.Store.WorkCalendar(ctx, tx, place.GridCode)
	if err != nil {
		return out, err
	}
	staff, err := s.Store.PlaceResponsible(ctx, tx, place.ID)
	if err != nil {
		return out, err
	}
	for i, r := range x.Results {
		it := tpl.Items[i]
		if r.OK {
			ids, err := s.Store.CloseHazards(ctx, tx, place.ID, it.Code, x.ID, x.InspectedAt)
			if err != nil {
				return out, err
			}
			out.Closed = append(out.Closed, ids...)
			continue
		}
		deadline, ok := deadlines[it.Code]
		if !ok {
			n := max(it.RectifyDays, 1)
			if deadline, err = cal.Add(x.InspectedAt, time.Duration(n)*8*time.Hour); err != nil {
				return out, err
			}
		}
		severity := it.Severity
		if severity != "major" {
			severity = "general"
		}
		h := store.Hazard{InspectionID: x.ID, PlaceID: place.ID, GridCode: place.GridCode, Item: it.Code, ItemText: it.Text,
			Severity: severity, Note: r.Note, ResponsibleStaffID: staff, FoundAt: x.InspectedAt, Deadline: deadline,
			RegionCode: place.RegionCode}
		if _, err := s.Store.OpenHazard(ctx, tx, h); err != nil {
			return out, err
		}
	}
	out.Opened, err = s.Store.HazardsOf(ctx, tx, x.ID)
	return out, err
}
