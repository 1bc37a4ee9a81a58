// Package inspection runs safety inspections and hazard rectification (安全检查
// 与隐患整改, issue #16): places inside a grid, checklists judged item by item,
// hazards opened by failed items with a deadline in working days on the
// region's calendar, closed only by a passing re-inspection, and a sweep
// that marks the ones past their deadline overdue.
package inspection

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/geo/precision"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/media"
	"wangge/internal/privacy"
	"wangge/internal/store"
)

// Service holds the store and the clock (tests pass a fake one; nil is time.Now).
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

// Limits of an inspection.
const (
	// FarMetres: a phone further than this from the place is kept but
	// flagged far. Refusing would lose real inspections: indoors, in a
	// basement or just after going offline a phone's fix is often off by
	// more, and the record matters more than the position.
	FarMetres   = 150
	MaxAge      = 90 * 24 * time.Hour // an offline phone may send this late
	ClockSkew   = 10 * time.Minute
	MaxPhotos   = 9
	maxDeadline = 366 * 24 * time.Hour
	sweepBatch  = 500
)

// NewPlace is the body of POST /api/places: a point (lon, lat), an outline
// (geometry: a GeoJSON Polygon or MultiPolygon), or both, in crs (wgs84 —
// the default —, cgcs2000, gcj02, bd09). Without lon/lat the point is one on
// the outline's surface.
type NewPlace struct {
	GridCode           string          `json:"grid_code"`
	ParentID           *int64          `json:"parent_id"`
	Kind               string          `json:"kind"`
	Name               string          `json:"name"`
	Lon                *float64        `json:"lon"`
	Lat                *float64        `json:"lat"`
	Geometry           json.RawMessage `json:"geometry"`
	CRS                string          `json:"crs"`
	ResponsibleStaffID *int64          `json:"responsible_staff_id"`
	// An organisation's contact and address (issue #15: 地、物、组织).
	ContactName string `json:"contact_name"`
	Phone       string `json:"phone"`
	Address     string `json:"address"`

	outline orb.MultiPolygon // read from a table's WKT column (ImportPlaces)
}

func validLonLat(lon, lat *float64) error {
	if lon == nil || lat == nil {
		return apperr.New(apperr.ErrInvalid, "lon and lat are required (WGS 84)")
	}
	if math.IsNaN(*lon) || math.IsNaN(*lat) || *lon < -180 || *lon > 180 || *lat < -90 || *lat > 90 {
		return apperr.New(apperr.ErrInvalid, "lon %v, lat %v: not a position on Earth", *lon, *lat)
	}
	return nil
}

// CreatePlace registers a place inside a grid of p's units.
func (s *Service) CreatePlace(ctx context.Context, p auth.Principal, np NewPlace, audit store.AuditEntry) (int64, error) {
	var id int64
	err := s.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = s.createPlace(ctx, tx, p, np, audit)
		return err
	})
	return id, err
}

// createPlace checks np and stores it in tx with its audit row.
func (s *Service) createPlace(ctx context.Context, tx pgx.Tx, p auth.Principal, np NewPlace, audit store.AuditEntry) (int64, error) {
	sys, err := parseSystem(np.CRS)
	if err != nil {
		return 0, err
	}
	mp := np.outline
	if mp == nil {
		if mp, err = outline(ctx, np.Geometry, sys); err != nil {
			return 0, err
		}
	}
	var pt orb.Point
	if mp == nil || np.Lon != nil || np.Lat != nil {
		if mp == nil && np.Lon == nil && np.Lat == nil {
			return 0, apperr.New(apperr.ErrInvalid, "lon and lat, or geometry (the outline), are required")
		}
		if err := validLonLat(np.Lon, np.Lat); err != nil {
			return 0, err
		}
		pt = crs.ToWGS84(sys, orb.Point{*np.Lon, *np.Lat})
		pt = precision.Point(pt)
	}
	name, err := incidents.CleanText("name", np.Name, 100)
	if err != nil {
		return 0, err
	}
	if name == "" {
		return 0, apperr.New(apperr.ErrInvalid, "name is required")
	}
	if err := s.checkKind(ctx, tx, np.Kind); err != nil {
		return 0, err
	}
	contact, err := cleanContact(np.ContactName, np.Phone, np.Address)
	if err != nil {
		return 0, err
	}
	if np.GridCode != "" && !p.Can(auth.ManagePlaces, np.GridCode) {
		return 0, apperr.New(apperr.ErrForbidden, "grid %q is outside %s's units", np.GridCode, p.Username)
	}
	// What must lie in the grid and the parent: the outline, else the point.
	var shape orb.Geometry = pt
	if mp != nil {
		var lon, lat *float64
		if np.Lon != nil {
			lon, lat = &pt[0], &pt[1]
		}
		on := false
		if pt, on, err = s.Store.OutlinePoint(ctx, tx, mp, lon, lat); err != nil {
			return 0, err
		}
		if !on {
			return 0, apperr.New(apperr.ErrInvalid, "the point %.7f, %.7f lies outside the outline (leave lon/lat out to use a point on it)", pt[0], pt[1])
		}
		shape = mp
	}
	if np.GridCode == "" {
		// No grid given: the grid holding the point (an organisation), as
		// buildings and households are placed.
		if np.GridCode, err = s.placeGrid(ctx, tx, p, np.ParentID, pt); err != nil {
			return 0, err
		}
	}
	exists, inside, outside, err := s.Store.GridCovers(ctx, tx, np.GridCode, shape)
	if err != nil {
		return 0, err
	}
	if !exists {
		return 0, apperr.New(apperr.ErrInvalid, "no grid %q", np.GridCode)
	}
	if !inside && mp != nil {
		return 0, apperr.New(apperr.ErrInvalid, "the outline reaches outside grid %s (%.1f m² of it)", np.GridCode, outside)
	}
	if !inside {
		return 0, apperr.New(apperr.ErrInvalid, "the point %.7f, %.7f lies outside grid %s", pt[0], pt[1], np.GridCode)
	}
	if np.ParentID != nil {
		parent, err := s.Store.PlaceByID(ctx, tx, *np.ParentID)
		if err != nil {
			return 0, apperr.New(apperr.ErrInvalid, "parent_id %d: no such place", *np.ParentID)
		}
		if parent.GridCode != np.GridCode {
			return 0, apperr.New(apperr.ErrInvalid, "parent %d lies in grid %s, not %s", parent.ID, parent.GridCode, np.GridCode)
		}
		// A room lies in its building when the building has an outline.
		if has, in, err := s.Store.PlaceCovers(ctx, tx, parent.ID, shape); err != nil {
			return 0, err
		} else if has && !in {
			return 0, apperr.New(apperr.ErrInvalid, "the place reaches outside its parent %d (%s)", parent.ID, parent.Name)
		}
	}
	if np.ResponsibleStaffID != nil {
		ok, err := s.Store.StafferExists(ctx, tx, *np.ResponsibleStaffID)
		if err != nil {
			return 0, err
		}
		if !ok {
			return 0, apperr.New(apperr.ErrInvalid, "responsible_staff_id %d: no serving staff member", *np.ResponsibleStaffID)
		}
	}
	id, err := s.Store.InsertPlace(ctx, tx, store.Place{GridCode: np.GridCode, ParentID: np.ParentID, Kind: np.Kind,
		Name: name, Lon: pt[0], Lat: pt[1], ResponsibleStaffID: np.ResponsibleStaffID, Outline: mp,
		ContactName: contact.ContactName, Phone: contact.Phone, Address: contact.Address})
	if err != nil {
		return 0, err
	}
	audit.Action, audit.ObjectType, audit.ObjectID = "place.create", "place", itoa(id)
	audit.Details, _ = json.Marshal(map[string]any{"grid": np.GridCode, "kind": np.Kind, "name": name, "outline": mp != nil})
	return id, s.Store.Audit(ctx, tx, audit)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// Submission is the body of POST /api/inspections.
type Submission struct {
	ID              string                   `json:"id"`
	PlaceID         int64                    `json:"place_id"`
	Template        string                   `json:"template"`
	TemplateVersion int                      `json:"template_version"` // 0: the newest
	InspectedAt     *time.Time               `json:"inspected_at"`
	Lon             *float64                 `json:"lon"`
	Lat             *float64                 `json:"lat"`
	Results         []store.InspectionResult `json:"results"`
}

// Recorded is an inspection with the hazards it opened and closed.
type Recorded struct {
	store.Inspection
	Opened []store.Hazard `json:"hazards_opened"`
	Closed []int64        `json:"hazards_closed"`
}

func hashOf(sub Submission) []byte {
	canon, _ := json.Marshal([]any{sub.PlaceID, sub.Template, sub.TemplateVersion,
		sub.InspectedAt.UTC().Format(time.RFC3339Nano), *sub.Lon, *sub.Lat, sub.Results})
	sum := sha256.Sum256(canon)
	return sum[:]
}

// normalise checks what needs no database and canonicalises the body.
func (s *Service) normalise(sub *Submission, now time.Time) error {
	if !media.ValidUUID(sub.ID) {
		return apperr.New(apperr.ErrInvalid, "id %q is not a UUID (the phone generates one per inspection)", sub.ID)
	}
	sub.ID = strings.ToLower(sub.ID)
	if err := validLonLat(sub.Lon, sub.Lat); err != nil {
		return err
	}
	*sub.Lon, *sub.Lat = precision.Round(*sub.Lon), precision.Round(*sub.Lat)
	if sub.InspectedAt == nil {
		return apperr.New(apperr.ErrInvalid, "inspected_at is required (the time on the phone)")
	}
	at := sub.InspectedAt.Truncate(time.Microsecond)
	if at.After(now.Add(ClockSkew)) {
		return apperr.New(apperr.ErrInvalid, "inspected_at %s is in the future", at.Format(time.RFC3339))
	}
	if at.Before(now.Add(-MaxAge)) {
		return apperr.New(apperr.ErrInvalid, "inspected_at %s is older than %s", at.Format(time.RFC3339), MaxAge)
	}
	sub.InspectedAt = &at
	if sub.TemplateVersion < 0 {
		return apperr.New(apperr.ErrInvalid, "template_version %d: want 1 or more (0 or none: the newest)", sub.TemplateVersion)
	}
	if len(sub.Results) == 0 || len(sub.Results) > 200 {
		return apperr.New(apperr.ErrInvalid, "results: want one per checklist item")
	}
	for i := range sub.Results {
		r := &sub.Results[i]
		var err error
		if r.Note, err = incidents.CleanText("note", r.Note, 2000); err != nil {
			return err
		}
		if len(r.Photos) > MaxPhotos {
			return apperr.New(apperr.ErrInvalid, "item %q: %d photos; the limit is %d", r.Item, len(r.Photos), MaxPhotos)
		}
		for j, ph := range r.Photos {
			if !media.ValidUUID(ph) {
				return apperr.New(apperr.ErrInvalid, "item %q: photos[%d] %q is not a UUID", r.Item, j, ph)
			}
			r.Photos[j] = strings.ToLower(ph)
		}
		if r.Value != nil && (math.IsNaN(*r.Value) || math.IsInf(*r.Value, 0)) {
			return apperr.New(apperr.ErrInvalid, "item %q: value is not a number", r.Item)
		}
	}
	return nil
}

// Places lists a grid's places (rooms, buildings, posts) for p.
func (s *Service) Places(ctx context.Context, p auth.Principal, grid string) ([]store.Place, error) {
	if len(grid) != 15 {
		return nil, apperr.New(apperr.ErrInvalid, "grid %q: want a 15-digit grid code", grid)
	}
	if !p.Can(auth.ReadHazards, grid) {
		return nil, apperr.New(apperr.ErrForbidden, "grid %s is outside %s's units", grid, p.Username)
	}
	list, err := s.Store.PlacesInGrid(ctx, grid)
	for i := range list { // an organisation's contact is a person's
		list[i].ContactName = privacy.Name(list[i].ContactName)
		list[i].Phone = privacy.Phone(list[i].Phone)
	}
	return list, err
}
