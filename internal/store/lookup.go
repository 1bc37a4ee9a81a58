package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"wangge/geo/locate"
	"wangge/internal/unit"
)

// UnitInfo is one unit of levels district..grid without its geometry: what
// the in-memory lookup needs to name a grid's chain of parents.
type UnitInfo struct {
	Code   string
	Parent string // "" for the top
	Level  int
	Name   string
	Kind   string
}

// StaffMember is a staff row with the grid it serves.
type StaffMember struct {
	Unit string
	Staff
}

const gridCellsSQL = `SELECT code, geom FROM units WHERE level = 4 ORDER BY code`

// GridCells loads every current grid (level 4) as a locate cell, in code order.
func (s *Store) GridCells(ctx context.Context) ([]locate.Cell, error) {
	rows, err := s.pool.Query(ctx, gridCellsSQL)
	if err != nil {
		return nil, fmt.Errorf("store: grid cells: %w", err)
	}
	cells, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (c locate.Cell, err error) {
		return c, r.Scan(&c.Code, multiPolygonCol{&c.Geometry})
	})
	if err != nil {
		return nil, fmt.Errorf("store: grid cells: %w", err)
	}
	return cells, nil
}

const unitInfosSQL = `SELECT code, coalesce(parent_code, ''), level, name, kind FROM units WHERE level <= 4 ORDER BY code`

// UnitInfos lists every unit of levels 1–4 without geometry.
func (s *Store) UnitInfos(ctx context.Context) ([]UnitInfo, error) {
	rows, err := s.pool.Query(ctx, unitInfosSQL)
	if err != nil {
		return nil, fmt.Errorf("store: unit infos: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[UnitInfo])
	if err != nil {
		return nil, fmt.Errorf("store: unit infos: %w", err)
	}
	return out, nil
}

const allStaffSQL = `SELECT unit_code, role, name, phone FROM grid_staff ORDER BY unit_code, sort, id`

// AllStaff lists every grid's staff, grouped by unit in card order.
func (s *Store) AllStaff(ctx context.Context) ([]StaffMember, error) {
	rows, err := s.pool.Query(ctx, allStaffSQL)
	if err != nil {
		return nil, fmt.Errorf("store: staff: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (m StaffMember, err error) {
		return m, r.Scan(&m.Unit, &m.Role, &m.Name, &m.Phone)
	})
	if err != nil {
		return nil, fmt.Errorf("store: staff: %w", err)
	}
	return out, nil
}

const unitRowSQL = `SELECT code, coalesce(parent_code, ''), level, name, kind, CASE WHEN level = 4 THEN geom END FROM units WHERE code = $1`

// UnitState is the current row of one unit for an incremental refresh; Cell
// is set for grids only.
type UnitState struct {
	Info  UnitInfo
	Cell  *locate.Cell
	Staff []Staff
}

// UnitNow reads one unit's current state (with geometry and staff when it is
// a grid); ok is false when the unit no longer exists.
func (s *Store) UnitNow(ctx context.Context, code string) (st UnitState, ok bool, err error) {
	var raw []byte
	i := &st.Info
	err = s.pool.QueryRow(ctx, unitRowSQL, code).Scan(&i.Code, &i.Parent, &i.Level, &i.Name, &i.Kind, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("store: unit %s: %w", code, err)
	}
	if i.Level == unit.LevelGrid {
		mp, err := decodeMultiPolygon(raw)
		if err != nil {
			return st, false, fmt.Errorf("store: grid %s: %w", code, err)
		}
		st.Cell = &locate.Cell{Code: code, Geometry: mp}
		if st.Staff, err = s.Staff(ctx, code); err != nil {
			return st, false, err
		}
	}
	return st, true, nil
}
