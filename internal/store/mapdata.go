package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// MapUnit is one unit as the map layers draw it: no personal data, the
// household count of its subtree.
type MapUnit struct {
	Code       string
	Parent     string // "" for the top
	Level      int
	Name       string
	Kind       string
	Households int64 // households in buildings of the unit's grids (0 for estates)
	People     int64 // their members
	// Band is a grid's place against its band (unit.Band.Flag: over, under,
	// ok, n/a), "" above grids: the balance layer colours the tiles by it.
	Band     string
	Geometry orb.MultiPolygon
}

// householdsPerUnit counts households per unit of every level 1–4 by the
// code prefix a unit fixes (district 6 digits, street 9, community 12,
// grid its whole code), from one aggregate per grid.
const householdsPerUnitCTE = `
WITH per_grid AS (
    SELECT b.grid_code AS code, count(*) AS n, sum(h.members) AS people
    FROM households h JOIN buildings b ON b.id = h.building_id
    WHERE b.grid_code IS NOT NULL
    GROUP BY b.grid_code
), per_unit AS (
    SELECT 1 AS level, left(code, 6) AS k, sum(n)::bigint AS n, sum(people)::bigint AS people FROM per_grid GROUP BY 2
    UNION ALL SELECT 2, left(code, 9), sum(n)::bigint, sum(people)::bigint FROM per_grid GROUP BY 2
    UNION ALL SELECT 3, left(code, 12), sum(n)::bigint, sum(people)::bigint FROM per_grid GROUP BY 2
    UNION ALL SELECT 4, code, n, people::bigint FROM per_grid
)`

const mapUnitsSQL = householdsPerUnitCTE + `
SELECT u.code, coalesce(u.parent_code, ''), u.level, u.name, u.kind, coalesce(c.n, 0), coalesce(c.people, 0), u.geom
FROM units u
LEFT JOIN per_unit c ON c.level = u.level AND c.k = CASE u.level
    WHEN 1 THEN left(u.code, 6) WHEN 2 THEN left(u.code, 9) ELSE u.code END
WHERE u.level = $1
ORDER BY u.code`

// MapUnits loads every unit of one level with its household count.
func (s *Store) MapUnits(ctx context.Context, level int) ([]MapUnit, error) {
	rows, err := s.pool.Query(ctx, mapUnitsSQL, level)
	if err != nil {
		return nil, fmt.Errorf("store: map units: %w", err)
	}
	us, err := collectMapUnits(rows)
	if err != nil {
		return nil, err
	}
	return us, s.withBands(ctx, us)
}

// withBands sets Band on the grids among us, each judged by its own band
// (unit settings, inherited).
func (s *Store) withBands(ctx context.Context, us []MapUnit) error {
	var codes []string
	for _, u := range us {
		if u.Level == unit.LevelGrid {
			codes = append(codes, u.Code)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	bands, err := s.Bands(ctx, codes)
	if err != nil {
		return err
	}
	for i, u := range us {
		if u.Level != unit.LevelGrid {
			continue
		}
		b, ok := bands[u.Code]
		if !ok {
			b = unit.DefaultBand
		}
		us[i].Band = b.Flag(u.Kind, int(u.Households), int(u.People))
	}
	return nil
}

// One unit: the count is restricted to the unit's own subtree, by the grid
// index for a grid and by code prefix above.
const mapUnitSQL = `
SELECT u.code, coalesce(u.parent_code, ''), u.level, u.name, u.kind,
    CASE WHEN u.level = 4 THEN
        (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = u.code)
    WHEN u.level <= 3 THEN
        (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id
         WHERE left(b.grid_code, CASE u.level WHEN 1 THEN 6 WHEN 2 THEN 9 ELSE 12 END) =
               left(u.code, CASE u.level WHEN 1 THEN 6 WHEN 2 THEN 9 ELSE 12 END))
    ELSE 0 END,
    CASE WHEN u.level = 4 THEN
        (SELECT coalesce(sum(h.members), 0) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = u.code)
    WHEN u.level <= 3 THEN
        (SELECT coalesce(sum(h.members), 0) FROM households h JOIN buildings b ON b.id = h.building_id
         WHERE left(b.grid_code, CASE u.level WHEN 1 THEN 6 WHEN 2 THEN 9 ELSE 12 END) =
               left(u.code, CASE u.level WHEN 1 THEN 6 WHEN 2 THEN 9 ELSE 12 END))
    ELSE 0 END,
    u.geom
FROM units u WHERE u.code = $1`

// MapUnit loads one unit for the map; a missing unit is ErrNotFound.
func (s *Store) MapUnit(ctx context.Context, code string) (MapUnit, error) {
	rows, err := s.pool.Query(ctx, mapUnitSQL, code)
	if err != nil {
		return MapUnit{}, fmt.Errorf("store: map unit %s: %w", code, err)
	}
	us, err := collectMapUnits(rows)
	if err != nil {
		return MapUnit{}, err
	}
	if len(us) == 0 {
		return MapUnit{}, apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
	}
	return us[0], s.withBands(ctx, us)
}

func collectMapUnits(rows pgx.Rows) ([]MapUnit, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (u MapUnit, err error) {
		return u, r.Scan(&u.Code, &u.Parent, &u.Level, &u.Name, &u.Kind, &u.Households, &u.People, multiPolygonCol{&u.Geometry})
	})
	if err != nil {
		return nil, fmt.Errorf("store: map units: %w", err)
	}
	return out, nil
}

// MapBuilding is one building as the map draws it: footprint (nil when
// unknown), the point that decides its grid, and how many households live
// there. No names or other personal data.
type MapBuilding struct {
	ID         int64
	Grid       string // "" when outside every grid
	Floors     int    // 0 when unknown
	Households int64
	Footprint  orb.Polygon
	Point      orb.Point
}

const mapBuildingsSQL = `
SELECT b.id, coalesce(b.grid_code, ''), coalesce(b.floors, 0), coalesce(h.n, 0), b.footprint, b.pt
FROM buildings b
LEFT JOIN (SELECT building_id, count(*) AS n FROM households GROUP BY building_id) h ON h.building_id = b.id
ORDER BY b.id`

// MapBuildings loads every building with its household count.
func (s *Store) MapBuildings(ctx context.Context) ([]MapBuilding, error) {
	rows, err := s.pool.Query(ctx, mapBuildingsSQL)
	if err != nil {
		return nil, fmt.Errorf("store: map buildings: %w", err)
	}
	defer rows.Close()
	var out []MapBuilding
	for rows.Next() {
		var b MapBuilding
		var fp, pt []byte
		if err := rows.Scan(&b.ID, &b.Grid, &b.Floors, &b.Households, &fp, &pt); err != nil {
			return nil, fmt.Errorf("store: map buildings: %w", err)
		}
		if fp != nil {
			g, err := decodeGeometry(fp)
			if err != nil {
				return nil, fmt.Errorf("store: building %d footprint: %w", b.ID, err)
			}
			b.Footprint, _ = g.(orb.Polygon)
		}
		g, err := decodeGeometry(pt)
		if err != nil {
			return nil, fmt.Errorf("store: building %d point: %w", b.ID, err)
		}
		p, ok := g.(orb.Point)
		if !ok {
			return nil, errors.New("store: building point is not a point")
		}
		b.Point = p
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: map buildings: %w", err)
	}
	return out, nil
}

// FeatureQuery selects the features of one OGC API collection, in id order.
// Zero fields do not filter.
type FeatureQuery struct {
	Level    int         // unit level 1–5; 0 selects buildings
	ID       string      // one feature: a unit code or building id
	BBox     *[4]float64 // minLon, minLat, maxLon, maxLat: features whose bounding box meets it
	After    string      // keyset cursor: only ids greater than this (codes, or building ids)
	Limit    int         // at most this many rows; 0 means no limit
	From, To *time.Time  // units: valid_from within [From, To] (either end open when nil)
	Kind     string      // units: kind equals
	Name     string      // units: name equals
	Parent   string      // units: parent_code equals
	GridCode string      // buildings: grid_code equals
}

const ogcUnitsSQL = `
SELECT u.code, json_build_object(
    'type', 'Feature',
    'id', u.code,
    'geometry', ST_AsGeoJSON(u.geom, 7)::json,
    'properties', json_build_object(
        'code', u.code, 'name', u.name, 'level', l.name, 'parent_code', u.parent_code,
        'kind', u.kind, 'region_code', u.region_code, 'version', u.version,
        'valid_from', u.valid_from))::text
FROM units u JOIN unit_levels l USING (level)
WHERE u.level = $1
  AND ($2::text IS NULL OR u.code = $2)
  AND ($3::float8 IS NULL OR u.geom && ST_MakeEnvelope($3, $4, $5, $6, 4326))
  AND ($7::text IS NULL OR u.code > $7)
  AND ($8::timestamptz IS NULL OR u.valid_from >= $8)
  AND ($9::timestamptz IS NULL OR u.valid_from <= $9)
  AND ($10::text IS NULL OR u.kind = $10)
  AND ($11::text IS NULL OR u.name = $11)
  AND ($12::text IS NULL OR u.parent_code = $12)
ORDER BY u.code
LIMIT $13`

// Buildings carry no personal data: footprint (or the point when there is
// none), grid, floors and the household count.
const ogcBuildingsSQL = `
SELECT b.id::text, json_build_object(
    'type', 'Feature',
    'id', b.id,
    'geometry', ST_AsGeoJSON(coalesce(b.footprint, b.pt), 7)::json,
    'properties', json_build_object(
        'id', b.id, 'grid_code', b.grid_code, 'floors', b.floors,
        'households', (SELECT count(*) FROM households h WHERE h.building_id = b.id)))::text
FROM buildings b
WHERE ($1::bigint IS NULL OR b.id = $1)
  AND ($2::float8 IS NULL OR b.pt && ST_MakeEnvelope($2, $3, $4, $5, 4326)
       OR b.footprint && ST_MakeEnvelope($2, $3, $4, $5, 4326))
  AND ($6::bigint IS NULL OR b.id > $6)
  AND ($7::text IS NULL OR b.grid_code = $7)
ORDER BY b.id
LIMIT $8`

// StreamFeatures runs q and calls emit with each feature's id and GeoJSON
// text as the rows arrive, so a large answer is never held in memory. An
// emit error stops the query and is returned.
func (s *Store) StreamFeatures(ctx context.Context, q FeatureQuery, emit func(id string, feature []byte) error) error {
	var limit *int
	if q.Limit > 0 {
		limit = &q.Limit
	}
	var bbox [4]any
	if q.BBox != nil {
		bbox = [4]any{q.BBox[0], q.BBox[1], q.BBox[2], q.BBox[3]}
	}
	var sql string
	var args []any
	if q.Level > 0 {
		sql = ogcUnitsSQL
		args = []any{q.Level, nullable(q.ID), bbox[0], bbox[1], bbox[2], bbox[3], nullable(q.After),
			q.From, q.To, nullable(q.Kind), nullable(q.Name), nullable(q.Parent), limit}
	} else {
		id, err := optionalID(q.ID)
		if err != nil {
			return err
		}
		after, err := optionalID(q.After)
		if err != nil {
			return err
		}
		sql = ogcBuildingsSQL
		args = []any{id, bbox[0], bbox[1], bbox[2], bbox[3], after, nullable(q.GridCode), limit}
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("store: features: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var feature []byte
		if err := rows.Scan(&id, &feature); err != nil {
			return fmt.Errorf("store: features: %w", err)
		}
		if err := emit(id, feature); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: features: %w", err)
	}
	return nil
}

// nullable is nil for "" so that the SQL's "IS NULL OR" skips the filter.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalID(s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return nil, apperr.New(apperr.ErrInvalid, "%q is not a building id", s)
	}
	return &v, nil
}
