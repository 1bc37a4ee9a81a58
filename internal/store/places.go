package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/apperr"
)

// Place is a building, floor, room or post inside a grid (issue #16), with
// the person responsible for it (定人、定岗、定责).
type Place struct {
	ID                 int64     `json:"id"`
	GridCode           string    `json:"grid_code"`
	ParentID           *int64    `json:"parent_id"`
	Kind               string    `json:"kind"`
	Name               string    `json:"name"`
	Lon                float64   `json:"lon"`
	Lat                float64   `json:"lat"`
	ResponsibleStaffID *int64    `json:"responsible_staff_id"`
	ResponsibleName    string    `json:"responsible_name"`
	RegionCode         string    `json:"region_code"`
	CreatedAt          time.Time `json:"created_at"`
	// An organisation's contact and address (personal: masked in answers).
	ContactName string `json:"contact_name"`
	Phone       string `json:"phone"`
	Address     string `json:"address"`
	// Outline is the place's polygon (nil: a point only); Geometry is the
	// same as GeoJSON in what the store reads back.
	Outline  orb.MultiPolygon  `json:"-"`
	Geometry *geojson.Geometry `json:"geometry,omitempty"`
}

const placeCols = `p.id, p.grid_code, p.parent_id, p.kind, p.name, ST_X(p.pt), ST_Y(p.pt), p.responsible_staff_id,
    coalesce(s.name, ''), p.region_code, p.created_at, ST_AsBinary(p.polygon), p.contact_name, p.phone, p.address`

func scanPlace(row pgx.Row) (Place, error) {
	var p Place
	err := row.Scan(&p.ID, &p.GridCode, &p.ParentID, &p.Kind, &p.Name, &p.Lon, &p.Lat, &p.ResponsibleStaffID,
		&p.ResponsibleName, &p.RegionCode, &p.CreatedAt, multiPolygonCol{&p.Outline}, &p.ContactName, &p.Phone, &p.Address)
	if err == nil && p.Outline != nil {
		p.Geometry = geojson.NewGeometry(p.Outline)
	}
	return p, err
}

// GridCovers reports whether grid code is a grid (level 4) and whether g
// lies in it (its boundary counts as in); outsideM2 is the area of g outside
// the grid, for the message of a refusal.
func (s *Store) GridCovers(ctx context.Context, q Querier, code string, g orb.Geometry) (exists, covered bool, outsideM2 float64, err error) {
	err = q.QueryRow(ctx, `WITH x AS (SELECT ST_GeomFromWKB($2, 4326) AS g)
        SELECT ST_CoveredBy(x.g, u.geom),
               CASE WHEN ST_CoveredBy(x.g, u.geom) THEN 0 ELSE ST_Area(ST_Difference(x.g, u.geom)::geography) END
          FROM units u, x WHERE u.code = $1 AND u.level = 4`, code, encodeWKB(g)).Scan(&covered, &outsideM2)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, 0, nil
	}
	if err != nil {
		return false, false, 0, fmt.Errorf("store: grid covers: %w", err)
	}
	return true, covered, outsideM2, nil
}

// PlaceCovers reports whether place id has an outline and whether g lies in it.
func (s *Store) PlaceCovers(ctx context.Context, q Querier, id int64, g orb.Geometry) (hasOutline, covered bool, err error) {
	var c *bool
	err = q.QueryRow(ctx, `SELECT ST_CoveredBy(ST_GeomFromWKB($2, 4326), polygon) FROM places WHERE id = $1`, id, encodeWKB(g)).Scan(&c)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, false, fmt.Errorf("store: place covers: %w", err)
	}
	return c != nil, c != nil && *c, nil
}

// OutlinePoint is the point of a place with outline mp: the one given
// (lon, lat not nil) or else a point on mp's surface (ST_PointOnSurface)
// on the 1e-7° grid; on says whether it lies on mp.
func (s *Store) OutlinePoint(ctx context.Context, q Querier, mp orb.MultiPolygon, lon, lat *float64) (pt orb.Point, on bool, err error) {
	err = q.QueryRow(ctx, `WITH o AS (SELECT ST_GeomFromWKB($1, 4326) AS g),
             p AS (SELECT coalesce(ST_SetSRID(ST_MakePoint($2, $3), 4326), ST_SnapToGrid(ST_PointOnSurface(g), 1e-7)) AS p FROM o)
        SELECT ST_X(p), ST_Y(p), ST_Covers(g, p) FROM o, p`, encodeWKB(mp), lon, lat).Scan(&pt[0], &pt[1], &on)
	if err != nil {
		return pt, false, fmt.Errorf("store: outline point: %w", err)
	}
	return pt, on, nil
}

// GridContains reports whether grid code is a grid (level 4) and whether
// the point lies in it.
func (s *Store) GridContains(ctx context.Context, q Querier, code string, lon, lat float64) (exists, inside bool, err error) {
	err = q.QueryRow(ctx, `SELECT ST_Intersects(geom, ST_SetSRID(ST_MakePoint($2, $3), 4326)) FROM units
        WHERE code = $1 AND level = 4`, code, lon, lat).Scan(&inside)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("store: grid contains: %w", err)
	}
	return true, inside, nil
}

// StafferExists reports whether staff id is a serving member of the force.
func (s *Store) StafferExists(ctx context.Context, q Querier, id int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff WHERE id = $1 AND retired_at IS NULL)`, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("store: staff exists: %w", err)
	}
	return ok, nil
}

// InsertPlace stores p (with its outline when it has one) and returns its id.
func (s *Store) InsertPlace(ctx context.Context, q Querier, p Place) (int64, error) {
	var outline []byte
	if len(p.Outline) > 0 {
		outline = encodeWKB(p.Outline)
	}
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO places (grid_code, parent_id, kind, name, pt, polygon, responsible_staff_id, region_code,
            contact_name, phone, address)
        VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), ST_Multi(ST_GeomFromWKB($8, 4326)), $7, left($1, 6), $9, $10, $11)
        RETURNING id`,
		p.GridCode, p.ParentID, p.Kind, p.Name, p.Lon, p.Lat, p.ResponsibleStaffID, outline, p.ContactName, p.Phone, p.Address).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: insert place: %w", err)
	}
	return id, nil
}

// PlaceByID returns one place.
func (s *Store) PlaceByID(ctx context.Context, q Querier, id int64) (Place, error) {
	if q == nil {
		q = s.pool
	}
	p, err := scanPlace(q.QueryRow(ctx, `SELECT `+placeCols+` FROM places p LEFT JOIN staff s ON s.id = p.responsible_staff_id
        WHERE p.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.ErrNotFound, "no place %d", id)
	}
	if err != nil {
		return p, fmt.Errorf("store: place: %w", err)
	}
	return p, nil
}

// PlacesInGrid lists a grid's places, parents before their children's ids.
func (s *Store) PlacesInGrid(ctx context.Context, grid string) ([]Place, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+placeCols+` FROM places p LEFT JOIN staff s ON s.id = p.responsible_staff_id
        WHERE p.grid_code = $1 ORDER BY p.id LIMIT 10000`, grid)
	if err != nil {
		return nil, fmt.Errorf("store: places: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Place, error) { return scanPlace(r) })
	if err != nil {
		return nil, fmt.Errorf("store: places: %w", err)
	}
	return out, nil
}

// PlaceResponsible is the person responsible for a place: its own, else the
// nearest ancestor's (a room without one falls to its building's).
func (s *Store) PlaceResponsible(ctx context.Context, q Querier, id int64) (*int64, error) {
	var staff *int64
	err := q.QueryRow(ctx, `WITH RECURSIVE up AS (
            SELECT id, parent_id, responsible_staff_id, 0 AS depth FROM places WHERE id = $1
            UNION ALL
            SELECT p.id, p.parent_id, p.responsible_staff_id, up.depth + 1 FROM places p JOIN up ON p.id = up.parent_id
             WHERE up.responsible_staff_id IS NULL AND up.depth < 20)
        SELECT responsible_staff_id FROM up WHERE responsible_staff_id IS NOT NULL ORDER BY depth LIMIT 1`, id).Scan(&staff)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: place responsible: %w", err)
	}
	return staff, nil
}

// PlaceDistance is the distance in metres from the point to the place (its
// outline when it has one, else its point).
func (s *Store) PlaceDistance(ctx context.Context, q Querier, id int64, lon, lat float64) (float64, error) {
	var d float64
	err := q.QueryRow(ctx, `SELECT ST_Distance(coalesce(polygon::geometry, pt::geometry)::geography,
            ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) FROM places WHERE id = $1`, id, lon, lat).Scan(&d)
	if err != nil {
		return 0, fmt.Errorf("store: place distance: %w", err)
	}
	return d, nil
}
