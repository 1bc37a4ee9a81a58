package store

// Rows of table units as geometry writers see them: what the boundary
// editor, the layer import and the units import (through grid.Commit) lock,
// read and write.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// Grid is one row of units as a geometry writer sees it: a grid, or a unit
// of another level (LockUnit, LockUnits); the level is the caller's.
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

// UpdateUnit replaces the geometry of a unit of the given level, and its
// name, kind and parent unless "".
func (s *Store) UpdateUnit(ctx context.Context, q Querier, level int, g Grid) error {
	_, err := q.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_GeomFromWKB($2, 4326)), name = coalesce(nullif($3, ''), name),
        kind = coalesce(nullif($4, ''), kind), parent_code = coalesce(nullif($5, ''), parent_code),
        updated_by = NULL, reason = NULL WHERE code = $1 AND level = $6`,
		g.Code, encodeWKB(g.Geom), g.Name, g.Kind, g.Parent, level)
	if err != nil {
		return unitWriteError("update", g.Code, err)
	}
	return nil
}

// InsertUnit adds a unit of the given level under g.Parent ("" for a
// district).
func (s *Store) InsertUnit(ctx context.Context, q Querier, level int, g Grid) error {
	_, err := q.Exec(ctx, `INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
        VALUES ($1, nullif($2, ''), $3, $4, $5, left($1, 6), ST_Multi(ST_GeomFromWKB($6, 4326)))`,
		g.Code, g.Parent, level, g.Name, g.Kind, encodeWKB(g.Geom))
	if err != nil {
		return unitWriteError("insert", g.Code, err)
	}
	return nil
}

// DeleteUnit removes a unit of the given level (a grid's staff go with it;
// buildings and incidents keep their rows and are re-assigned by location).
func (s *Store) DeleteUnit(ctx context.Context, q Querier, level int, code string) error {
	if _, err := q.Exec(ctx, `DELETE FROM units WHERE code = $1 AND level = $2`, code, level); err != nil {
		return unitWriteError("delete", code, err)
	}
	return nil
}

// unitWriteError turns a refused constraint (a code taken at another level,
// a parent that does not exist, a code that does not extend its parent's)
// into ErrInvalid naming the unit.
func unitWriteError(op, code string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "23") {
		return apperr.New(apperr.ErrInvalid, "unit %s: %s", code, pgErr.Message)
	}
	return fmt.Errorf("store: %s %s: %w", op, code, err)
}

const lockUnitsSQL = `
SELECT ` + gridColumns + `
FROM units WHERE code = ANY($1) AND level = $2 ORDER BY code FOR UPDATE`

// LockUnits locks and returns those of codes that exist at level.
func (s *Store) LockUnits(ctx context.Context, q Querier, level int, codes []string) ([]Grid, error) {
	return collectGrids(ctx, q, "lock units", lockUnitsSQL, codes, level)
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
