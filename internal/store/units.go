package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
)

// UnitFilter selects units for StreamUnits.
type UnitFilter struct {
	Level  int         // required
	Parent string      // optional: only descendants of this unit
	BBox   *[4]float64 // optional: minLon, minLat, maxLon, maxLat
}

const unitFeatureSQL = `
SELECT json_build_object(
    'type', 'Feature',
    'id', u.code,
    'geometry', ST_AsGeoJSON(u.geom, 7)::json,
    'properties', json_build_object(
        'code', u.code, 'name', u.name, 'level', l.name, 'level_zh', l.name_zh,
        'parent_code', u.parent_code, 'kind', u.kind, 'region_code', u.region_code,
        'version', u.version, 'valid_from', u.valid_from))::text
FROM units u JOIN unit_levels l USING (level)`

const streamUnitsSQL = `
WITH RECURSIVE scope AS (
    SELECT code FROM units WHERE code = $2
    UNION ALL
    SELECT c.code FROM units c JOIN scope s ON c.parent_code = s.code
)` + unitFeatureSQL + `
WHERE u.level = $1
  AND ($2::text IS NULL OR u.code IN (SELECT code FROM scope))
  AND ($3::float8 IS NULL OR u.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326))
ORDER BY u.code`

// StreamUnits writes the selected units as a GeoJSON FeatureCollection to w,
// row by row, so a city-sized answer is never held in memory. An unknown
// parent is ErrNotFound, reported before anything is written.
func (s *Store) StreamUnits(ctx context.Context, f UnitFilter, w io.Writer) error {
	var parent *string
	if f.Parent != "" {
		if _, err := s.unitLevel(ctx, f.Parent); err != nil {
			return err
		}
		parent = &f.Parent
	}
	args := []any{f.Level, parent, nil, nil, nil, nil}
	if f.BBox != nil {
		args[2], args[3], args[4], args[5] = f.BBox[0], f.BBox[1], f.BBox[2], f.BBox[3]
	}
	rows, err := s.pool.Query(ctx, streamUnitsSQL, args...)
	if err != nil {
		return fmt.Errorf("store: units: %w", err)
	}
	return streamFeatures(rows, w)
}

func (s *Store) unitLevel(ctx context.Context, code string) (int, error) {
	var level int
	err := s.pool.QueryRow(ctx, `SELECT level FROM units WHERE code = $1`, code).Scan(&level)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
	}
	if err != nil {
		return 0, fmt.Errorf("store: unit %s: %w", code, err)
	}
	return level, nil
}

// ChainLink is one ancestor of a unit.
type ChainLink struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

// Staff is one person on a grid's public contact card (公示牌).
type Staff struct {
	Role  string `json:"role"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

const unitSQL = unitFeatureSQL + ` WHERE u.code = $1`

const chainSQL = `
WITH RECURSIVE up AS (
    SELECT code, parent_code, name, level, 0 AS depth FROM units WHERE code = $1
    UNION ALL
    SELECT p.code, p.parent_code, p.name, p.level, up.depth + 1
    FROM units p JOIN up ON p.code = up.parent_code
)
SELECT up.code, up.name, l.name FROM up JOIN unit_levels l USING (level) ORDER BY depth DESC`

const staffSQL = `SELECT role, name, phone FROM grid_staff WHERE unit_code = $1 ORDER BY sort, id`

// Unit returns one unit as a GeoJSON Feature whose properties also carry
// "chain" (ancestors from the top down to the unit itself) and "staff".
func (s *Store) Unit(ctx context.Context, code string) (json.RawMessage, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, unitSQL, code).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
	}
	if err != nil {
		return nil, fmt.Errorf("store: unit %s: %w", code, err)
	}
	chain, err := s.Chain(ctx, code)
	if err != nil {
		return nil, err
	}
	staff, err := s.Staff(ctx, code)
	if err != nil {
		return nil, err
	}
	var f struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("store: unit %s: %w", code, err)
	}
	f.Properties["chain"] = chain
	f.Properties["staff"] = staff
	return json.Marshal(f)
}

// Chain lists the unit's ancestors from the top down, ending with the unit.
func (s *Store) Chain(ctx context.Context, code string) ([]ChainLink, error) {
	rows, err := s.pool.Query(ctx, chainSQL, code)
	if err != nil {
		return nil, fmt.Errorf("store: chain %s: %w", code, err)
	}
	links, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ChainLink])
	if err != nil {
		return nil, fmt.Errorf("store: chain %s: %w", code, err)
	}
	return links, nil
}

// Staff lists a grid's staff in card order.
func (s *Store) Staff(ctx context.Context, code string) ([]Staff, error) {
	rows, err := s.pool.Query(ctx, staffSQL, code)
	if err != nil {
		return nil, fmt.Errorf("store: staff %s: %w", code, err)
	}
	staff, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Staff])
	if err != nil {
		return nil, fmt.Errorf("store: staff %s: %w", code, err)
	}
	return staff, nil
}

// UnitGeoms returns the geometries of the units codes that exist.
func (s *Store) UnitGeoms(ctx context.Context, codes []string) (map[string]orb.MultiPolygon, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, ST_AsBinary(geom) FROM units WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, fmt.Errorf("store: unit geometries: %w", err)
	}
	out := map[string]orb.MultiPolygon{}
	var c string
	var mp orb.MultiPolygon
	if _, err := pgx.ForEachRow(rows, []any{&c, multiPolygonCol{&mp}}, func() error { out[c] = mp; return nil }); err != nil {
		return nil, fmt.Errorf("store: unit geometries: %w", err)
	}
	return out, nil
}

// UnitParents returns the parent code ("" for a root) of each of codes
// that exists.
func (s *Store) UnitParents(ctx context.Context, q Querier, codes []string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT code, coalesce(parent_code, '') FROM units WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, fmt.Errorf("store: unit parents: %w", err)
	}
	out := map[string]string{}
	var c, p string
	if _, err := pgx.ForEachRow(rows, []any{&c, &p}, func() error { out[c] = p; return nil }); err != nil {
		return nil, fmt.Errorf("store: unit parents: %w", err)
	}
	return out, nil
}
