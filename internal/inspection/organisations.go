package inspection

// Organisations and facilities (地、物、组织, issue #15 item 2) are places:
// they are written by createPlace (one write path, one placement rule) and
// read, edited and removed here.

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/privacy"
	"wangge/internal/store"
)

// checkKind refuses a kind not in the controlled list (place_kinds).
func (s *Service) checkKind(ctx context.Context, q store.Querier, kind string) error {
	kinds, err := s.Store.PlaceKinds(ctx, q)
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(kinds))
	for _, k := range kinds {
		if k.Code == kind {
			return nil
		}
		if k.Domain != "part" {
			codes = append(codes, k.Code)
		}
	}
	return apperr.New(apperr.ErrInvalid, "kind %q is not in the list of place kinds (GET /api/place-kinds), e.g. %s", kind, strings.Join(codes, ", "))
}

// contact is an organisation's contact person, phone and address, cleaned.
type contact struct{ ContactName, Phone, Address string }

func cleanContact(name, phone, address string) (contact, error) {
	var c contact
	var err error
	if c.ContactName, err = incidents.CleanText("contact_name", name, 64); err != nil {
		return c, err
	}
	if c.Phone, err = cleanPhone(phone); err != nil {
		return c, err
	}
	if c.Address, err = incidents.CleanText("address", address, 200); err != nil {
		return c, err
	}
	return c, nil
}

// cleanPhone accepts a phone number as people write it: digits with +, -,
// spaces or an extension's parentheses.
func cleanPhone(v string) (string, error) {
	v, err := incidents.CleanText("phone", v, 20)
	if err != nil {
		return "", err
	}
	for _, r := range v {
		if !(r >= '0' && r <= '9' || strings.ContainsRune("+-() ", r)) {
			return "", apperr.New(apperr.ErrInvalid, "phone %q: want digits (with + - ( ) or spaces)", v)
		}
	}
	return v, nil
}

// placeGrid is the grid of a place given without one: its parent's, else
// the grid holding its point (400 when none does, as a household import
// refuses such a row), which must be in p's units.
func (s *Service) placeGrid(ctx context.Context, tx pgx.Tx, p auth.Principal, parent *int64, pt orb.Point) (string, error) {
	var grid string
	if parent != nil {
		pl, err := s.Store.PlaceByID(ctx, tx, *parent)
		if err != nil {
			return "", apperr.New(apperr.ErrInvalid, "parent_id %d: no such place", *parent)
		}
		grid = pl.GridCode
	} else {
		var err error
		if grid, err = s.Store.GridAt(ctx, tx, pt[0], pt[1]); err != nil {
			return "", err
		}
		if grid == "" {
			return "", apperr.New(apperr.ErrInvalid, "the point %.7f, %.7f lies in no grid", pt[0], pt[1])
		}
	}
	if !p.Can(auth.ManagePlaces, grid) {
		return "", apperr.New(apperr.ErrForbidden, "the place lies in grid %s, outside %s's units", grid, p.Username)
	}
	return grid, nil
}

// Organisations lists unit's organisations and facilities (kind "" for
// every kind) with their counts per kind. Contacts are masked unless reason
// is given: then p must be allowed to unmask the unit and the disclosure is
// audited in the same transaction as the read.
func (s *Service) Organisations(ctx context.Context, p auth.Principal, unit, kind string, reason string, audit store.AuditEntry) ([]store.Place, map[string]int, error) {
	if !p.Can(auth.ReadHouseholds, unit) {
		return nil, nil, apperr.New(apperr.ErrForbidden, "unit %s is outside %s's units", unit, p.Username)
	}
	if kind != "" {
		if err := s.checkKind(ctx, nil, kind); err != nil {
			return nil, nil, err
		}
	}
	if reason != "" && !p.Can(auth.Unmask, unit) {
		return nil, nil, apperr.New(apperr.ErrForbidden, "%s may not unmask contacts in %s", p.Username, unit)
	}
	// Counts per kind over the whole unit, whatever the list's bound.
	counts, err := s.Store.OrganisationCounts(ctx, unit)
	if err != nil {
		return nil, nil, err
	}
	if reason == "" {
		list, err := s.Store.Organisations(ctx, nil, unit, kind)
		for i := range list {
			list[i].ContactName = privacy.Name(list[i].ContactName)
			list[i].Phone = privacy.Phone(list[i].Phone)
		}
		return list, counts, err
	}
	var list []store.Place
	err = s.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if list, err = s.Store.Organisations(ctx, tx, unit, kind); err != nil {
			return err
		}
		ids := make([]int64, len(list))
		for i, o := range list {
			ids[i] = o.ID
		}
		audit.Action, audit.ObjectType, audit.ObjectID, audit.Reason = "disclose", "organisation", unit, reason
		audit.Details, _ = json.Marshal(map[string]any{"kind": kind, "places": ids})
		return s.Store.Audit(ctx, tx, audit)
	})
	return list, counts, err
}

// OrganisationEdit is the body of PATCH /api/places/{id}: the fields given.
type OrganisationEdit struct {
	Kind        *string `json:"kind"`
	Name        *string `json:"name"`
	ContactName *string `json:"contact_name"`
	Phone       *string `json:"phone"`
	Address     *string `json:"address"`
}

// UpdatePlace changes the fields given of place id, in p's units, audited
// with the names of the fields changed.
func (s *Service) UpdatePlace(ctx context.Context, p auth.Principal, id int64, e OrganisationEdit, audit store.AuditEntry) error {
	return s.Store.InTx(ctx, func(tx pgx.Tx) error {
		pl, err := s.scopedPlace(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var fields []string
		ed := store.PlaceEdit{}
		if e.Kind != nil {
			if err := s.checkKind(ctx, tx, *e.Kind); err != nil {
				return err
			}
			ed.Kind, fields = e.Kind, append(fields, "kind")
		}
		if e.Name != nil {
			n, err := incidents.CleanText("name", *e.Name, 100)
			if err != nil {
				return err
			}
			if n == "" {
				return apperr.New(apperr.ErrInvalid, "name is required")
			}
			ed.Name, fields = &n, append(fields, "name")
		}
		c, err := cleanContact(deref(e.ContactName), deref(e.Phone), deref(e.Address))
		if err != nil {
			return err
		}
		if e.ContactName != nil {
			ed.ContactName, fields = &c.ContactName, append(fields, "contact_name")
		}
		if e.Phone != nil {
			ed.Phone, fields = &c.Phone, append(fields, "phone")
		}
		if e.Address != nil {
			ed.Address, fields = &c.Address, append(fields, "address")
		}
		if len(fields) == 0 {
			return apperr.New(apperr.ErrInvalid, "nothing to change: give kind, name, contact_name, phone or address")
		}
		if err := s.Store.UpdatePlace(ctx, tx, id, ed); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "place.update", "place", itoa(id)
		audit.Details, _ = json.Marshal(map[string]any{"grid": pl.GridCode, "fields": fields})
		return s.Store.Audit(ctx, tx, audit)
	})
}

// DeletePlace removes place id (entered by mistake), in p's units, audited.
func (s *Service) DeletePlace(ctx context.Context, p auth.Principal, id int64, audit store.AuditEntry) error {
	return s.Store.InTx(ctx, func(tx pgx.Tx) error {
		pl, err := s.scopedPlace(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := s.Store.DeletePlace(ctx, tx, id); err != nil {
			return err
		}
		audit.Action, audit.ObjectType, audit.ObjectID = "place.delete", "place", itoa(id)
		audit.Details, _ = json.Marshal(map[string]any{"grid": pl.GridCode, "kind": pl.Kind, "name": pl.Name})
		return s.Store.Audit(ctx, tx, audit)
	})
}

// scopedPlace reads place id for an edit by p: 404 when there is none, 403
// outside p's units.
func (s *Service) scopedPlace(ctx context.Context, tx pgx.Tx, p auth.Principal, id int64) (store.Place, error) {
	pl, err := s.Store.PlaceByID(ctx, tx, id)
	if err != nil {
		return pl, err
	}
	if !p.Can(auth.ManagePlaces, pl.GridCode) {
		return pl, apperr.New(apperr.ErrForbidden, "place %d lies in grid %s, outside %s's units", id, pl.GridCode, p.Username)
	}
	return pl, nil
}
