package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
)

// HotspotFilter selects the cases a hotspot map counts: under the unit code
// Parent (a district, street, community or grid), reported in [From, To),
// of Category or one of its children ("" all), of handling Type ("" all).
// Cases marked invalid (作废: false or duplicate reports) never count.
type HotspotFilter struct {
	Parent   string
	Category string
	Type     string
	From, To time.Time
}

// hotspotScope picks the index: a grid's cases by grid_code, a larger unit's
// by the prefix of community_code (cases outside every grid carry the
// nearest community's code, so they count too).
func hotspotScope(parent string) string {
	if len(parent) == 15 {
		return `i.grid_code = $1`
	}
	return `i.community_code LIKE $1 || '%'`
}

const hotspotCaseFilter = ` AND i.reported_at >= $2 AND i.reported_at < $3 AND i.status <> 'invalid'
    AND ($4 = '' OR i.category = $4 OR i.category LIKE $4 || '.%') AND ($5 = '' OR i.type = $5)`

// prefixOf is the code prefix shared by a unit's descendants.
func prefixOf(code string) string {
	switch {
	case len(code) == 12 && code[6:] == "000000":
		return code[:6]
	case len(code) == 12 && code[9:] == "000":
		return code[:9]
	}
	return code
}

// HotspotArea returns the unit's outline; ErrNotFound if there is none.
func (s *Store) HotspotArea(ctx context.Context, code string) (orb.MultiPolygon, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT ST_AsBinary(geom) FROM units WHERE code = $1`, code).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no unit %s", code)
	}
	if err != nil {
		return nil, fmt.Errorf("store: hotspot area: %w", err)
	}
	return decodeMultiPolygon(b)
}

// HotspotPoints returns the selected cases' points as lon and lat arrays
// (one aggregate row: two float8 arrays travel faster than a row per case).
func (s *Store) HotspotPoints(ctx context.Context, f HotspotFilter) (lons, lats []float64, err error) {
	q := `SELECT coalesce(array_agg(ST_X(i.pt)), '{}'), coalesce(array_agg(ST_Y(i.pt)), '{}')
        FROM incidents i WHERE ` + hotspotScope(f.Parent) + hotspotCaseFilter
	err = s.pool.QueryRow(ctx, q, prefixOf(f.Parent), f.From, f.To, f.Category, f.Type).Scan(&lons, &lats)
	if err != nil {
		return nil, nil, fmt.Errorf("store: hotspot points: %w", err)
	}
	return lons, lats, nil
}

// HotspotResidents returns the building points under the unit with their
// residents (household members summed per building).
func (s *Store) HotspotResidents(ctx context.Context, parent string) (lons, lats []float64, people []int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT coalesce(array_agg(ST_X(b.pt)), '{}'), coalesce(array_agg(ST_Y(b.pt)), '{}'),
            coalesce(array_agg(x.people), '{}')
        FROM (SELECT h.building_id, sum(h.members)::bigint AS people FROM households h
              JOIN buildings b ON b.id = h.building_id WHERE b.grid_code LIKE $1 || '%' GROUP BY 1) x
        JOIN buildings b ON b.id = x.building_id`, prefixOf(parent)).Scan(&lons, &lats, &people)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("store: hotspot residents: %w", err)
	}
	return lons, lats, people, nil
}

// HotspotGrid is one grid with its selected cases and residents.
type HotspotGrid struct {
	Code, Name string
	Geom       orb.MultiPolygon
	Centroid   orb.Point // a point on the surface
	AreaKm2    float64
	People     int64
	Count      int
}

// HotspotGrids returns every grid under the unit with its count of the
// selected cases and its residents (the kept unit statistics, migration 000040).
func (s *Store) HotspotGrids(ctx context.Context, f HotspotFilter) ([]HotspotGrid, error) {
	q := `WITH c AS (SELECT i.grid_code AS code, count(*)::int AS n FROM incidents i
                     WHERE i.grid_code LIKE $1 || '%'` + hotspotCaseFilter + ` GROUP BY 1),
             p AS (SELECT d.code, sum(d.n)::bigint AS n FROM unit_stat_deltas d
                   WHERE d.code LIKE $1 || '%' AND length(d.code) = 15 AND d.key = 'people' GROUP BY 1)
        SELECT u.code, u.name, ST_AsBinary(u.geom), ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom)),
               ST_Area(u.geom::geography) / 1e6, coalesce(p.n, 0), coalesce(c.n, 0)
        FROM units u LEFT JOIN c ON c.code = u.code LEFT JOIN p ON p.code = u.code
        WHERE u.level = 4 AND u.code LIKE $1 || '%' ORDER BY u.code`
	rows, err := s.pool.Query(ctx, q, prefixOf(f.Parent), f.From, f.To, f.Category, f.Type)
	if err != nil {
		return nil, fmt.Errorf("store: hotspot grids: %w", err)
	}
	defer rows.Close()
	var out []HotspotGrid
	for rows.Next() {
		var g HotspotGrid
		var b []byte
		if err := rows.Scan(&g.Code, &g.Name, &b, &g.Centroid[0], &g.Centroid[1], &g.AreaKm2, &g.People, &g.Count); err != nil {
			return nil, fmt.Errorf("store: hotspot grids: %w", err)
		}
		if g.Geom, err = decodeMultiPolygon(b); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: hotspot grids: %w", err)
	}
	return out, nil
}

// HotspotSeries are the selected cases per week (Monday, China time) and
// per top-level category: the display's charts of the same filter.
type HotspotSeries struct {
	Weeks      []WeekCount     `json:"weeks"`
	Categories []CategoryCount `json:"categories"`
}

// WeekCount is one week's cases.
type WeekCount struct {
	Week  string `json:"week"` // the Monday, YYYY-MM-DD
	Count int    `json:"count"`
}

// CategoryCount is one top-level category's cases.
type CategoryCount struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Count  int    `json:"count"`
}

// HotspotSeries counts the selected cases by week and by top-level category.
func (s *Store) HotspotSeries(ctx context.Context, f HotspotFilter) (HotspotSeries, error) {
	out := HotspotSeries{Weeks: []WeekCount{}, Categories: []CategoryCount{}}
	args := []any{prefixOf(f.Parent), f.From, f.To, f.Category, f.Type}
	rows, err := s.pool.Query(ctx, `SELECT to_char(date_trunc('week', i.reported_at AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD'), count(*)::int
        FROM incidents i WHERE `+hotspotScope(f.Parent)+hotspotCaseFilter+` GROUP BY 1 ORDER BY 1`, args...)
	if err != nil {
		return out, fmt.Errorf("store: hotspot weeks: %w", err)
	}
	for rows.Next() {
		var w WeekCount
		if err := rows.Scan(&w.Week, &w.Count); err != nil {
			rows.Close()
			return out, fmt.Errorf("store: hotspot weeks: %w", err)
		}
		out.Weeks = append(out.Weeks, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: hotspot weeks: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT top, coalesce(c.name_zh, top), coalesce(c.name_en, top), n FROM (
            SELECT split_part(i.category, '.', 1) AS top, count(*)::int AS n
            FROM incidents i WHERE `+hotspotScope(f.Parent)+hotspotCaseFilter+` GROUP BY 1) x
        LEFT JOIN incident_categories c ON c.code = x.top ORDER BY n DESC, top`, args...)
	if err != nil {
		return out, fmt.Errorf("store: hotspot categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c CategoryCount
		if err := rows.Scan(&c.Code, &c.NameZh, &c.NameEn, &c.Count); err != nil {
			return out, fmt.Errorf("store: hotspot categories: %w", err)
		}
		out.Categories = append(out.Categories, c)
	}
	return out, rows.Err()
}
