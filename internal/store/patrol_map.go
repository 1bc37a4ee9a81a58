package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/geo/track"
	"wangge/internal/apperr"
	"wangge/internal/workcal"
)

// Feature is a GeoJSON feature with its geometry as PostGIS wrote it.
type Feature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

// FeatureCollection is a GeoJSON FeatureCollection with totals beside it.
type FeatureCollection struct {
	Type     string         `json:"type"`
	Features []Feature      `json:"features"`
	Summary  map[string]any `json:"summary,omitempty"`
}

const (
	// Gaps: the unit minus the union of the buffered day tracks that come
	// near it. Slivers under 1 m² are rounding, not places.
	patrolGapsSQL = `
WITH g AS (SELECT geom, ST_Area(geom::geography) AS area FROM units WHERE code = $1),
seen AS (
    SELECT ST_Union(ST_Buffer(d.track::geography, $4, 'quad_segs=4')::geometry) AS geom, count(DISTINCT d.user_id) AS workers,
           count(*) AS worker_days
    FROM patrol_days d, g
    WHERE d.region_code = left($1, 6) AND d.day BETWEEN $2::date AND $3::date
      AND d.track && ST_Expand(g.geom, $4 / 50000.0)),
gap AS (
    SELECT (ST_Dump(CASE WHEN seen.geom IS NULL THEN g.geom ELSE ST_Difference(g.geom, seen.geom) END)).geom
    FROM g, seen)
SELECT ST_AsGeoJSON(gap.geom, 7), ST_Area(gap.geom::geography), g.area, seen.workers, seen.worker_days
FROM gap, g, seen
WHERE ST_Dimension(gap.geom) = 2 AND ST_Area(gap.geom::geography) >= 1
ORDER BY 2 DESC`
	unitExistsSQL = `SELECT ST_Area(geom::geography) FROM units WHERE code = $1`

	// Visits: hexagons over the unit, each with the number of distinct days
	// a track came within the radius of its centre.
	patrolVisitsSQL = `
WITH g AS (SELECT geom FROM units WHERE code = $1),
cells AS (
    SELECT h.geom FROM g, ST_HexagonGrid($5 / 111320.0, g.geom) h
    WHERE ST_Intersects(h.geom, g.geom)),
days AS (
    SELECT d.day, d.track FROM patrol_days d, g
    WHERE d.region_code = left($1, 6) AND d.day BETWEEN $2::date AND $3::date
      AND d.track && ST_Expand(g.geom, $4 / 50000.0))
SELECT ST_AsGeoJSON(ST_Intersection(c.geom, g.geom), 7),
       (SELECT count(DISTINCT days.day) FROM days
        WHERE ST_DWithin(days.track::geography, ST_Centroid(c.geom)::geography, $4))
FROM cells c, g`

	patrolTracksSQL = `
SELECT ST_AsGeoJSON(ST_Simplify(d.track, $5), 7), u.username, d.day::text, d.distance_m, d.patrol_seconds
FROM patrol_days d JOIN users u ON u.id = d.user_id
WHERE d.track IS NOT NULL AND d.day BETWEEN $1::date AND $2::date
  AND ($3 = 0 OR d.user_id = $3)
  AND ($4 = '' OR (d.region_code = left($4, 6) AND d.user_id IN (
        SELECT user_id FROM patrol_workers WHERE starts_with(unit_code, unit_scope($4)))))
ORDER BY d.day, u.username
LIMIT 5000`
)

// PatrolGaps returns the parts of a unit that no worker-day track of the
// period came within radius metres of, as polygons with area_m2, largest
// first; the summary has the unit's area, the gap area and its share.
func (s *Store) PatrolGaps(ctx context.Context, unit, from, to string, radius float64) (FeatureCollection, error) {
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}}
	var unitArea float64
	if err := s.pool.QueryRow(ctx, unitExistsSQL, unit).Scan(&unitArea); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fc, apperr.New(apperr.ErrNotFound, "no unit %s", unit)
		}
		return fc, fmt.Errorf("store: patrol gaps %s: %w", unit, err)
	}
	rows, err := s.pool.Query(ctx, patrolGapsSQL, unit, from, to, radius)
	if err != nil {
		return fc, fmt.Errorf("store: patrol gaps %s: %w", unit, err)
	}
	var gapArea float64
	var workers, workerDays int64
	var geom json.RawMessage
	var area float64
	if _, err := pgx.ForEachRow(rows, []any{&geom, &area, &unitArea, &workers, &workerDays}, func() error {
		gapArea += area
		fc.Features = append(fc.Features, Feature{Type: "Feature", Geometry: append(json.RawMessage{}, geom...),
			Properties: map[string]any{"area_m2": area}})
		return nil
	}); err != nil {
		return fc, fmt.Errorf("store: patrol gaps %s: %w", unit, err)
	}
	share := 0.0
	if unitArea > 0 {
		share = gapArea / unitArea
	}
	fc.Summary = map[string]any{"unit": unit, "from": from, "to": to, "radius_m": radius,
		"unit_area_m2": unitArea, "gap_area_m2": gapArea, "gap_ratio": share}
	return fc, nil
}

// PatrolVisits returns hexagons of about cell metres across over a unit,
// each with "days": on how many distinct days of the period a track came
// within radius metres of its centre.
func (s *Store) PatrolVisits(ctx context.Context, unit, from, to string, radius, cell float64) (FeatureCollection, error) {
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}}
	var unitArea float64
	if err := s.pool.QueryRow(ctx, unitExistsSQL, unit).Scan(&unitArea); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return fc, apperr.New(apperr.ErrNotFound, "no unit %s", unit)
		}
		return fc, fmt.Errorf("store: patrol visits %s: %w", unit, err)
	}
	rows, err := s.pool.Query(ctx, patrolVisitsSQL, unit, from, to, radius, cell)
	if err != nil {
		return fc, fmt.Errorf("store: patrol visits %s: %w", unit, err)
	}
	var geom json.RawMessage
	var days int64
	if _, err := pgx.ForEachRow(rows, []any{&geom, &days}, func() error {
		fc.Features = append(fc.Features, Feature{Type: "Feature", Geometry: append(json.RawMessage{}, geom...),
			Properties: map[string]any{"days": days}})
		return nil
	}); err != nil {
		return fc, fmt.Errorf("store: patrol visits %s: %w", unit, err)
	}
	return fc, nil
}

// PatrolTracks returns the day tracks of one worker or of a unit's workers
// as MultiLineStrings simplified to tolerance degrees (0: as stored), at
// most 5,000.
func (s *Store) PatrolTracks(ctx context.Context, q PatrolDayQuery, tolerance float64) (FeatureCollection, error) {
	fc := FeatureCollection{Type: "FeatureCollection", Features: []Feature{}}
	rows, err := s.pool.Query(ctx, patrolTracksSQL, q.From, q.To, q.UserID, q.Unit, tolerance)
	if err != nil {
		return fc, fmt.Errorf("store: patrol tracks: %w", err)
	}
	var geom json.RawMessage
	var worker, day string
	var dist, secs float64
	if _, err := pgx.ForEachRow(rows, []any{&geom, &worker, &day, &dist, &secs}, func() error {
		fc.Features = append(fc.Features, Feature{Type: "Feature", Geometry: append(json.RawMessage{}, geom...),
			Properties: map[string]any{"worker": worker, "day": day, "distance_m": dist, "patrol_seconds": secs}})
		return nil
	}); err != nil {
		return fc, fmt.Errorf("store: patrol tracks: %w", err)
	}
	return fc, nil
}

// PlaybackFix is one kept fix of a worker-day, for time-ordered playback.
type PlaybackFix struct {
	T   time.Time `json:"t"`
	Lon float64   `json:"lon"`
	Lat float64   `json:"lat"`
}

// PatrolPlayback returns the kept fixes of one worker-day in time order
// (the same cleaning rules as the sweep).
func (s *Store) PatrolPlayback(ctx context.Context, user int64, date string, p PatrolParams) ([]PlaybackFix, error) {
	day, err := time.ParseInLocation(time.DateOnly, date, workcal.CST)
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "date %q: want YYYY-MM-DD", date)
	}
	rows, err := s.pool.Query(ctx, dayFixesSQL, user, day, day.AddDate(0, 0, 1))
	if err != nil {
		return nil, fmt.Errorf("store: patrol playback: %w", err)
	}
	var fixes []track.Fix
	var f track.Fix
	var region string
	if _, err := pgx.ForEachRow(rows, []any{&f.At, &f.Point[0], &f.Point[1], &f.AccuracyM, &region}, func() error {
		fixes = append(fixes, f)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: patrol playback: %w", err)
	}
	kept, _ := track.Clean(fixes, p.Track)
	out := make([]PlaybackFix, len(kept))
	for i, k := range kept {
		out[i] = PlaybackFix{T: k.At, Lon: k.Point[0], Lat: k.Point[1]}
	}
	return out, nil
}
