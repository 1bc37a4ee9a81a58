package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// Household is one household record with its personal fields in clear; the
// API masks them unless a disclosure is audited.
type Household struct {
	ID         int64    `json:"id"`
	BuildingID int64    `json:"building_id"`
	Address    string   `json:"address"`
	HeadName   string   `json:"head_name"`
	IDNumber   string   `json:"id_number"`
	Phone      string   `json:"phone"`
	Members    int      `json:"members"`
	Tags       []string `json:"tags"`
}

// HouseholdPage selects one page of a grid's households.
type HouseholdPage struct {
	Grid    string
	Page    int // from 1
	PerPage int
}

const gridHouseholdsSQL = `
SELECT h.id, h.building_id,
       coalesce(nullif(a.full_text, ''), nullif(b.name, ''), ''),
       h.head_name, h.id_number, h.phone, h.members, h.tags,
       count(*) OVER ()
FROM households h
JOIN buildings b ON b.id = h.building_id
LEFT JOIN addresses a ON a.id = h.address_id
WHERE b.grid_code = $1
ORDER BY h.id
LIMIT $2 OFFSET $3`

const gridCountSQL = `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`

const gridLevelSQL = `SELECT level FROM units WHERE code = $1`

// GridHouseholds lists one page of the households whose building lies in
// grid (by the building's grid), with the total count. An unknown grid, or a
// unit that is not a grid, is ErrNotFound.
func (s *Store) GridHouseholds(ctx context.Context, p HouseholdPage) ([]Household, int, error) {
	var out []Household
	var total int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, total, err = gridHouseholds(ctx, tx, p)
		return err
	})
	return out, total, err
}

// DiscloseHouseholds reads the page like GridHouseholds and, in the same
// transaction, appends entry (action "disclose") naming the household ids in
// its details: no clear value leaves without its audit row.
func (s *Store) DiscloseHouseholds(ctx context.Context, p HouseholdPage, entry AuditEntry) ([]Household, int, error) {
	var out []Household
	var total int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if out, total, err = gridHouseholds(ctx, tx, p); err != nil {
			return err
		}
		ids := make([]int64, len(out))
		for i, h := range out {
			ids[i] = h.ID
		}
		entry.Details, err = json.Marshal(map[string]any{"grid": p.Grid, "page": p.Page, "per_page": p.PerPage, "household_ids": ids})
		if err != nil {
			return err
		}
		return s.Audit(ctx, tx, entry)
	})
	return out, total, err
}

func gridHouseholds(ctx context.Context, q Querier, p HouseholdPage) ([]Household, int, error) {
	var level int
	err := q.QueryRow(ctx, gridLevelSQL, p.Grid).Scan(&level)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && level != unit.LevelGrid) {
		return nil, 0, apperr.New(apperr.ErrNotFound, "no grid with code %q", p.Grid)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("store: grid %s: %w", p.Grid, err)
	}
	rows, err := q.Query(ctx, gridHouseholdsSQL, p.Grid, p.PerPage, (p.Page-1)*p.PerPage)
	if err != nil {
		return nil, 0, fmt.Errorf("store: households of %s: %w", p.Grid, err)
	}
	defer rows.Close()
	out := []Household{}
	total := -1
	for rows.Next() {
		var h Household
		var members int16
		if err := rows.Scan(&h.ID, &h.BuildingID, &h.Address, &h.HeadName, &h.IDNumber, &h.Phone, &members, &h.Tags, &total); err != nil {
			return nil, 0, fmt.Errorf("store: households of %s: %w", p.Grid, err)
		}
		h.Members = int(members)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("store: households of %s: %w", p.Grid, err)
	}
	if total < 0 { // a page past the end: count separately
		if err := q.QueryRow(ctx, gridCountSQL, p.Grid).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("store: households of %s: %w", p.Grid, err)
		}
	}
	return out, total, nil
}

// GridCount is one grid's row of the counts report: aggregates only.
type GridCount struct {
	Code       string         `json:"grid_code"`
	Name       string         `json:"name"`
	Kind       string         `json:"kind"`
	Parent     string         `json:"parent_code"`
	Buildings  int            `json:"buildings"`
	Households int            `json:"households"`
	People     int            `json:"people"`
	Tags       map[string]int `json:"tags"`
}

// MaxGridCountsPage bounds one page of the per-grid counts: a page is
// one indexed range of grid codes, never a whole city.
const MaxGridCountsPage = 2000

// gridScope: grids of every level-4 unit whose code starts with the scope's
// fixed digits ($2 = 0: all), after code $3, at most $4 (keyset pages).
const gridCountsSQL = `
WITH g AS (
    SELECT code, name, kind, coalesce(parent_code, '') AS parent_code FROM units
    WHERE level = 4 AND left(code, $2) = left($1, $2) AND code > $3
    ORDER BY code LIMIT $4
), s AS ( -- the kept counts (migration 000040), not a scan of buildings and households
    SELECT code, key, sum(n) AS n FROM unit_stat_deltas WHERE code = ANY (ARRAY(SELECT code FROM g)) GROUP BY 1, 2 HAVING sum(n) <> 0
)
SELECT g.code, g.name, g.kind, g.parent_code,
       coalesce(sum(s.n) FILTER (WHERE s.key = 'buildings'), 0)::int,
       coalesce(sum(s.n) FILTER (WHERE s.key = 'households'), 0)::int,
       coalesce(sum(s.n) FILTER (WHERE s.key = 'people'), 0)::int,
       coalesce(jsonb_object_agg(substr(s.key, 5), s.n) FILTER (WHERE s.key LIKE 'tag:%'), '{}')::text
FROM g LEFT JOIN s ON s.code = g.code
GROUP BY g.code, g.name, g.kind, g.parent_code
ORDER BY g.code`

// GridCounts aggregates buildings, households, people and tags per grid for
// the grids below scope (a unit code, with prefixLen its fixed digits; 0 for
// all grids), in code order: at most limit grids whose code is after after.
func (s *Store) GridCounts(ctx context.Context, scope string, prefixLen int, after string, limit int) ([]GridCount, error) {
	rows, err := s.pool.Query(ctx, gridCountsSQL, scope, prefixLen, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: grid counts: %w", err)
	}
	defer rows.Close()
	out := []GridCount{}
	for rows.Next() {
		var g GridCount
		var tags string
		if err := rows.Scan(&g.Code, &g.Name, &g.Kind, &g.Parent, &g.Buildings, &g.Households, &g.People, &tags); err != nil {
			return nil, fmt.Errorf("store: grid counts: %w", err)
		}
		if err := json.Unmarshal([]byte(tags), &g.Tags); err != nil {
			return nil, fmt.Errorf("store: grid counts: %w", err)
		}
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: grid counts: %w", err)
	}
	return out, nil
}

// UnitExists reports ErrNotFound for an unknown unit code.
func (s *Store) UnitExists(ctx context.Context, code string) error {
	_, err := s.unitLevel(ctx, code)
	return err
}

// Unplaced counts buildings (and their households) whose point lies in no
// grid, within the scope, and lists those buildings as GeoJSON points
// (no personal fields).
type Unplaced struct {
	Buildings  int             `json:"buildings"`
	Households int             `json:"households"`
	People     int             `json:"people"`
	Points     json.RawMessage `json:"points"`
}

// An unplaced building cannot be attributed to a unit below its county by
// its grid, so scopes narrower than a district use the unit's area.
const unplacedSQL = `
WITH scope AS (SELECT geom FROM units WHERE code = $1),
u AS (
    SELECT b.id, b.name, b.estate, b.building_no, b.region_code, b.grid_code, b.pt FROM buildings b
    WHERE ($1 = '' OR b.region_code = left($1, 6))
      AND ($2 OR EXISTS (SELECT 1 FROM scope WHERE ST_Intersects(scope.geom, b.pt)))
      AND NOT EXISTS (SELECT 1 FROM units g WHERE g.level = 4 AND ST_Intersects(g.geom, b.pt))
), h AS (
    SELECT count(*) AS n, coalesce(sum(members), 0) AS people FROM households WHERE building_id IN (SELECT id FROM u)
)
SELECT (SELECT count(*) FROM u)::int, h.n::int, h.people::int,
       json_build_object('type', 'FeatureCollection', 'features', coalesce((
           SELECT json_agg(json_build_object('type', 'Feature', 'id', u.id,
               'geometry', ST_AsGeoJSON(u.pt, 7)::json,
               'properties', json_build_object('building_id', u.id, 'name', u.name, 'estate', u.estate,
                   'building_no', u.building_no, 'region_code', u.region_code, 'grid_code', u.grid_code))
               ORDER BY u.id)
           FROM u), '[]'::json))::text
FROM h`

// UnplacedBuildings reports buildings inside no grid within scope ("" for
// everywhere; wholeRegion when the scope is a whole district).
func (s *Store) UnplacedBuildings(ctx context.Context, scope string, wholeRegion bool) (Unplaced, error) {
	var u Unplaced
	var points string
	err := s.pool.QueryRow(ctx, unplacedSQL, scope, scope == "" || wholeRegion).Scan(&u.Buildings, &u.Households, &u.People, &points)
	if err != nil {
		return u, fmt.Errorf("store: unplaced: %w", err)
	}
	u.Points = json.RawMessage(points)
	return u, nil
}

// EmptyGrid is a grid with no household.
type EmptyGrid struct {
	Code      string `json:"grid_code"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Parent    string `json:"parent_code"`
	Buildings int    `json:"buildings"`
}

const emptyGridsSQL = `
SELECT g.code, g.name, g.kind, coalesce(g.parent_code, ''),
       (SELECT count(*) FROM buildings b WHERE b.grid_code = g.code)::int
FROM units g
WHERE g.level = 4 AND left(g.code, $2) = left($1, $2)
  AND NOT EXISTS (SELECT 1 FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = g.code)
ORDER BY g.code`

// EmptyGrids lists the grids below scope (prefixLen fixed digits; 0 for all)
// that hold no household.
func (s *Store) EmptyGrids(ctx context.Context, scope string, prefixLen int) ([]EmptyGrid, error) {
	rows, err := s.pool.Query(ctx, emptyGridsSQL, scope, prefixLen)
	if err != nil {
		return nil, fmt.Errorf("store: empty grids: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[EmptyGrid])
	if err != nil {
		return nil, fmt.Errorf("store: empty grids: %w", err)
	}
	if out == nil {
		out = []EmptyGrid{}
	}
	return out, nil
}

// GridLoad is a grid's households and people, with its buildings.
type GridLoad struct {
	Code, Name, Kind string
	Households       int
	People           int
	Geom             orb.MultiPolygon
	Buildings        []BuildingLoad
}

// BuildingLoad is one building's point and households.
type BuildingLoad struct {
	Pt         orb.Point
	Households int
	People     int
}

const gridLoadSQL = `
SELECT u.code, u.name, u.kind, ST_AsBinary(u.geom),
       coalesce(array_agg(ST_X(b.pt) ORDER BY b.id) FILTER (WHERE b.id IS NOT NULL), '{}'),
       coalesce(array_agg(ST_Y(b.pt) ORDER BY b.id) FILTER (WHERE b.id IS NOT NULL), '{}'),
       coalesce(array_agg(coalesce(h.n, 0) ORDER BY b.id) FILTER (WHERE b.id IS NOT NULL), '{}'),
       coalesce(array_agg(coalesce(h.people, 0) ORDER BY b.id) FILTER (WHERE b.id IS NOT NULL), '{}')
FROM units u
LEFT JOIN buildings b ON b.grid_code = u.code
LEFT JOIN (SELECT building_id, count(*)::int AS n, sum(members)::int AS people FROM households GROUP BY building_id) h
       ON h.building_id = b.id
WHERE u.level = 4 AND ($1 = 0 OR left(u.code, $1) = $2)
GROUP BY u.code ORDER BY u.code`

// GridLoads returns every grid under parent ("" everywhere) with its
// buildings' household and people counts.
func (s *Store) GridLoads(ctx context.Context, parent string) ([]GridLoad, error) {
	if parent != "" {
		if _, err := s.unitLevel(ctx, parent); err != nil {
			return nil, err
		}
	}
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, gridLoadSQL, n, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: grid loads: %w", err)
	}
	defer rows.Close()
	var out []GridLoad
	for rows.Next() {
		var g GridLoad
		var b []byte
		var xs, ys []float64
		var hs, ps []int32
		if err := rows.Scan(&g.Code, &g.Name, &g.Kind, &b, &xs, &ys, &hs, &ps); err != nil {
			return nil, fmt.Errorf("store: grid loads: %w", err)
		}
		if g.Geom, err = decodeMultiPolygon(b); err != nil {
			return nil, err
		}
		for i := range xs {
			g.Buildings = append(g.Buildings, BuildingLoad{Pt: orb.Point{xs[i], ys[i]}, Households: int(hs[i]), People: int(ps[i])})
			g.Households += int(hs[i])
			g.People += int(ps[i])
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
