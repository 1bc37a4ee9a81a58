package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/geo/camera"
	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// CameraInput is one camera to store: its name, numbers and ground view.
type CameraInput struct {
	Name   string
	Camera camera.Camera
	View   orb.Polygon
	Row    int // where it came from (a file row, or 0), for errors
}

const (
	// The grid each camera stands in (the basic grid whose area covers it).
	cameraGridsSQL = `
SELECT p.i, coalesce(g.code, '')
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, i)
LEFT JOIN LATERAL (
    SELECT code FROM units
    WHERE level = $3 AND geom && ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)
      AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
    ORDER BY code LIMIT 1) g ON true
ORDER BY p.i`
	// Named once per region: sending a camera again updates it.
	upsertCameraSQL = `
INSERT INTO cameras (region_code, grid_code, name, pt, azimuth, angle, range_m, view, created_by)
VALUES (left($1, 6), $1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7, ST_GeomFromWKB($8, 4326), $9)
ON CONFLICT (region_code, name) DO UPDATE SET grid_code = EXCLUDED.grid_code, pt = EXCLUDED.pt,
    azimuth = EXCLUDED.azimuth, angle = EXCLUDED.angle, range_m = EXCLUDED.range_m, view = EXCLUDED.view
RETURNING id, xmax = 0`

	camerasSQL = `
SELECT ST_AsGeoJSON(view, 7), id, name, grid_code, ST_X(pt), ST_Y(pt), azimuth, angle, range_m
FROM cameras WHERE region_code = left($1, 6) AND starts_with(grid_code, unit_scope($1))
ORDER BY name LIMIT 10000`

	// Blind spots: the unit minus the union of the views that reach it
	// (cameras of neighbouring grids count too). Slivers under 1 m² are
	// rounding, not places.
	blindSpotsSQL = `
WITH g AS (SELECT geom, ST_Area(geom::geography) AS area FROM units WHERE code = $1),
seen AS (SELECT ST_Union(c.view) AS geom FROM cameras c, g WHERE c.view && g.geom),
blind AS (
    SELECT (ST_Dump(CASE WHEN seen.geom IS NULL THEN g.geom ELSE ST_Difference(g.geom, seen.geom) END)).geom
    FROM g, seen)
SELECT ST_AsGeoJSON(blind.geom, 7), ST_Area(blind.geom::geography)
FROM blind
WHERE ST_Dimension(blind.geom) = 2 AND ST_Area(blind.geom::geography) >= 1
ORDER BY 2 DESC`
	camerasReachingSQL = `SELECT count(*) FROM cameras c, units g WHERE g.code = $1 AND c.view && g.geom`
)

// SaveCameras stores cameras in one transaction, each in the grid that
// covers it, with audit; allowed says whether the caller may place a camera
// in a grid. A camera in no grid, or in one not allowed, stores nothing.
// It returns the ids in input order and how many were new (the others were
// updated: a camera is known by its name in the region).
func (s *Store) SaveCameras(ctx context.Context, in []CameraInput, actor *int64, allowed func(grid string) bool, audit AuditEntry) ([]int64, int, error) {
	xs, ys := make([]float64, len(in)), make([]float64, len(in))
	for i, c := range in {
		xs[i], ys[i] = c.Camera.Point[0], c.Camera.Point[1]
	}
	ids := make([]int64, 0, len(in))
	created := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, cameraGridsSQL, xs, ys, unit.LevelGrid)
		if err != nil {
			return err
		}
		grids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var i int
			var g string
			err := r.Scan(&i, &g)
			return g, err
		})
		if err != nil {
			return err
		}
		var problems []error
		for i, g := range grids {
			switch {
			case g == "":
				problems = append(problems, fmt.Errorf("%s: %q at %v is in no grid", where(in[i]), in[i].Name, in[i].Camera.Point))
			case !allowed(g):
				return apperr.New(apperr.ErrForbidden, "%s: %q is in grid %s, outside your units", where(in[i]), in[i].Name, g)
			}
		}
		if len(problems) > 0 {
			return apperr.New(apperr.ErrInvalid, "%v", errors.Join(problems...))
		}
		for i, c := range in {
			var id int64
			var inserted bool
			if err := tx.QueryRow(ctx, upsertCameraSQL, grids[i], c.Name, c.Camera.Point[0], c.Camera.Point[1],
				c.Camera.Azimuth, c.Camera.Angle, c.Camera.RangeM, encodeWKB(c.View), actor).Scan(&id, &inserted); err != nil {
				return err
			}
			ids = append(ids, id)
			if inserted {
				created++
			}
		}
		details, _ := json.Marshal(map[string]any{"cameras": len(in), "created": created, "ids": ids})
		audit.Details = details
		return s.Audit(ctx, tx, audit)
	})
	if err != nil {
		return nil, 0, txError(err, "save cameras")
	}
	return ids, created, nil
}

func where(c CameraInput) string {
	if c.Row > 0 {
		return fmt.Sprintf("row %d", c.Row)
	}
	return "camera"
}

// Cameras returns the cameras standing in a unit as GeoJSON views.
func (s *Store) Cameras(ctx context.Context, unitCode string) (FeatureCollection, error) {
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}}
	rows, err := s.pool.Query(ctx, camerasSQL, unitCode)
	if err != nil {
		return fc, fmt.Errorf("store: cameras: %w", err)
	}
	var geom json.RawMessage
	var id int64
	var name, grid string
	var lon, lat, az, angle, rng float64
	if _, err := pgx.ForEachRow(rows, []any{&geom, &id, &name, &grid, &lon, &lat, &az, &angle, &rng}, func() error {
		fc.Features = append(fc.Features, Feature{Type: "Feature", Geometry: append(json.RawMessage{}, geom...),
			Properties: map[string]any{"id": id, "name": name, "grid_code": grid, "lon": lon, "lat": lat,
				"azimuth": az, "angle": angle, "range_m": rng}})
		return nil
	}); err != nil {
		return fc, fmt.Errorf("store: cameras: %w", err)
	}
	return fc, nil
}

// BlindSpots returns the parts of a unit no camera sees, largest first,
// with the unit's area, the blind area, its share and the cameras counted.
func (s *Store) BlindSpots(ctx context.Context, unitCode string) (FeatureCollection, error) {
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}}
	var unitArea float64
	if err := s.pool.QueryRow(ctx, unitExistsSQL, unitCode).Scan(&unitArea); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fc, apperr.New(apperr.ErrNotFound, "no unit %s", unitCode)
		}
		return fc, fmt.Errorf("store: blind spots %s: %w", unitCode, err)
	}
	rows, err := s.pool.Query(ctx, blindSpotsSQL, unitCode)
	if err != nil {
		return fc, fmt.Errorf("store: blind spots %s: %w", unitCode, err)
	}
	var geom json.RawMessage
	var area, blindArea float64
	if _, err := pgx.ForEachRow(rows, []any{&geom, &area}, func() error {
		blindArea += area
		fc.Features = append(fc.Features, Feature{Type: "Feature", Geometry: append(json.RawMessage{}, geom...),
			Properties: map[string]any{"area_m2": area}})
		return nil
	}); err != nil {
		return fc, fmt.Errorf("store: blind spots %s: %w", unitCode, err)
	}
	var cameras int64
	if err := s.pool.QueryRow(ctx, camerasReachingSQL, unitCode).Scan(&cameras); err != nil {
		return fc, fmt.Errorf("store: blind spots %s: %w", unitCode, err)
	}
	share := 0.0
	if unitArea > 0 {
		share = blindArea / unitArea
	}
	fc.Summary = map[string]any{"unit": unitCode, "unit_area_m2": unitArea, "blind_area_m2": blindArea,
		"blind_ratio": share, "cameras": cameras}
	return fc, nil
}
