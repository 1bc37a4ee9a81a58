package store

// Grid rows of table units (level 4): what the boundary editor and the layer
// import lock, read and write.

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// Grid is one row of units as the boundary editor sees it: a grid, or the
// community it belongs to (LockUnit).
type Grid struct {
	Code, Parent, Name, Kind string
	Version                  int
	Geom                     orb.MultiPolygon
}

// gridColumns are the columns scanGrid reads, in its order.
const gridColumns = `code, coalesce(parent_code, ''), name, kind, version, ST_AsBinary(geom)`

// scanGrid is the pgx.RowToFunc of gridColumns.
func scanGrid(row pgx.CollectableRow) (Grid, error) {
	var g Grid
	var raw []byte
	if err := row.Scan(&g.Code, &g.Parent, &g.Name, &g.Kind, &g.Version, &raw); err != nil {
		return g, err
	}
	var err error
	g.Geom, err = decodeMultiPolygon(raw)
	return g, err
}

// collectGrids runs a gridColumns query and scans every row.
func collectGrids(ctx context.Context, q Querier, what, sql string, args ...any) ([]Grid, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	gs, err := pgx.CollectRows(rows, scanGrid)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return gs, nil
}

const lockUnitSQL = `
SELECT ` + gridColumns + `
FROM units WHERE code = $1 AND level = $2 FOR UPDATE`

// LockUnit reads a unit of the given level and locks its row until tx ends;
// a missing unit is ErrNotFound.
func (s *Store) LockUnit(ctx context.Context, q Querier, code string, level int) (Grid, error) {
	gs, err := collectGrids(ctx, q, "unit "+code, lockUnitSQL, code, level)
	if err != nil {
		return Grid{}, err
	}
	if len(gs) == 0 {
		return Grid{}, apperr.New(apperr.ErrNotFound, "no %s with code %q", unit.LevelName(level), code)
	}
	return gs[0], nil
}

const siblingsNearSQL = `
SELECT ` + gridColumns + `
FROM units
WHERE parent_code = $1 AND level = 4 AND geom && ST_Expand(ST_GeomFromWKB($2, 4326), $3)
ORDER BY code FOR UPDATE`

// GridsNear locks and returns the grids of parent whose bounding box comes
// within margin degrees of area.
func (s *Store) GridsNear(ctx context.Context, q Querier, parent string, area orb.Geometry, margin float64) ([]Grid, error) {
	return collectGrids(ctx, q, "grids near", siblingsNearSQL, parent, encodeWKB(area), margin)
}

// UpdateGrid replaces a grid's geometry, and its name and kind unless ""
// (the triggers bump its version and keep the old row in unit_versions).
func (s *Store) UpdateGrid(ctx context.Context, q Querier, g Grid) error {
	_, err := q.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_GeomFromWKB($2, 4326)), name = coalesce(nullif($3, ''), name),
        kind = coalesce(nullif($4, ''), kind), updated_by = NULL, reason = NULL WHERE code = $1 AND level = 4`,
		g.Code, encodeWKB(g.Geom), g.Name, g.Kind)
	if err != nil {
		return fmt.Errorf("store: update %s: %w", g.Code, err)
	}
	return nil
}

// InsertGrid adds a grid under parent.
func (s *Store) InsertGrid(ctx context.Context, q Querier, g Grid) error {
	_, err := q.Exec(ctx, `INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
        VALUES ($1, $2, 4, $3, $4, left($1, 6), ST_Multi(ST_GeomFromWKB($5, 4326)))`,
		g.Code, g.Parent, g.Name, g.Kind, encodeWKB(g.Geom))
	if err != nil {
		return fmt.Errorf("store: insert %s: %w", g.Code, err)
	}
	return nil
}

// DeleteGrid removes a grid (its staff go with it; buildings and incidents
// keep their rows and are re-assigned by location).
func (s *Store) DeleteGrid(ctx context.Context, q Querier, code string) error {
	if _, err := q.Exec(ctx, `DELETE FROM units WHERE code = $1 AND level = 4`, code); err != nil {
		return fmt.Errorf("store: delete %s: %w", code, err)
	}
	return nil
}

const lockGridsSQL = `
SELECT ` + gridColumns + `
FROM units WHERE parent_code = $1 AND level = 4 ORDER BY code FOR UPDATE`

// LockGrids locks and returns every grid of community parent.
func (s *Store) LockGrids(ctx context.Context, q Querier, parent string) ([]Grid, error) {
	return collectGrids(ctx, q, "lock grids", lockGridsSQL, parent)
}

const exportGridsSQL = `
SELECT ` + gridColumns + ` FROM units
WHERE level = 4 AND ($1 = 0 OR left(code, $1) = $2) ORDER BY code`

// GridsUnder returns the grids below parent ("" all), ordered by code.
func (s *Store) GridsUnder(ctx context.Context, parent string) ([]Grid, error) {
	if parent != "" {
		if _, err := s.unitLevel(ctx, parent); err != nil {
			return nil, err
		}
	}
	n, prefix := scopeArgs(parent)
	return collectGrids(ctx, s.pool, "grids", exportGridsSQL, n, prefix)
}
