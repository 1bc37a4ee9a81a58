package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
)

// CardPerson is one person on a unit's public card with what a board
// prints: public staff information and the photo thumbnail, never the
// birth date.
type CardPerson struct {
	StaffID    int64  `json:"staff_id"`
	Role       string `json:"role"`
	RoleName   string `json:"role_name"`
	Name       string `json:"name"`
	Phone      string `json:"phone"`
	Post       string `json:"post"`
	Duties     string `json:"duties"`
	StandInFor string `json:"stand_in_for,omitempty"`
	// Supervision is the person's 监督电话 (a public hotline, not theirs).
	Supervision string `json:"supervision_phone,omitempty"`
	HasPhoto    bool   `json:"has_photo"`
	Thumb       []byte `json:"-"`
}

const cardPeopleSQL = `
SELECT coalesce(g.staff_id, 0), g.role, g.name, g.phone, coalesce(s.post, ''), coalesce(s.duties, ''), g.stand_in_for,
       coalesce(s.supervision_phone, ''), ph.thumb
FROM grid_staff g
LEFT JOIN staff s ON s.id = g.staff_id
LEFT JOIN staff_photos ph ON ph.id = s.photo_id
WHERE g.unit_code = $1
ORDER BY g.sort, g.id`

// CardPeople lists the people on a unit's card, in card order.
func (s *Store) CardPeople(ctx context.Context, code string) ([]CardPerson, error) {
	rows, err := s.pool.Query(ctx, cardPeopleSQL, code)
	if err != nil {
		return nil, fmt.Errorf("store: card of %s: %w", code, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (p CardPerson, err error) {
		err = r.Scan(&p.StaffID, &p.Role, &p.Name, &p.Phone, &p.Post, &p.Duties, &p.StandInFor, &p.Supervision, &p.Thumb)
		p.HasPhoto = len(p.Thumb) > 0
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: card of %s: %w", code, err)
	}
	return out, nil
}

// PublicThumb returns the thumbnail of a person on some public card right
// now (ErrNotFound otherwise: retired or unassigned people are not shown).
func (s *Store) PublicThumb(ctx context.Context, staffID int64) ([]byte, error) {
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT ph.thumb FROM staff s JOIN staff_photos ph ON ph.id = s.photo_id
        WHERE s.id = $1 AND EXISTS (SELECT 1 FROM grid_staff g WHERE g.staff_id = s.id)`, staffID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no public photo for %d", staffID)
	}
	if err != nil {
		return nil, fmt.Errorf("store: public photo %d: %w", staffID, err)
	}
	return b, nil
}

// MapContext is what a board's map shows around a unit.
type MapContext struct {
	Neighbours []UnitRef
	Buildings  []orb.Geometry
}

// BoardMap returns the unit's neighbours at its level (touching or within
// ~50 m, at most 40) and its buildings (footprints, else points; at most
// maxBuildings).
func (s *Store) BoardMap(ctx context.Context, code string, maxBuildings int) (MapContext, error) {
	var mc MapContext
	rows, err := s.pool.Query(ctx, `SELECT n.code, coalesce(n.parent_code, ''), n.name, n.kind, n.level, ST_AsBinary(n.geom)
        FROM units g JOIN units n ON n.level = g.level AND n.code <> g.code AND ST_DWithin(n.geom, g.geom, 0.0005)
        WHERE g.code = $1 ORDER BY n.code LIMIT 40`, code)
	if err != nil {
		return mc, fmt.Errorf("store: board map %s: %w", code, err)
	}
	if mc.Neighbours, err = pgx.CollectRows(rows, scanUnitRef); err != nil {
		return mc, fmt.Errorf("store: board map %s: %w", code, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT ST_AsBinary(coalesce(b.footprint, b.pt)) FROM units u JOIN buildings b
        ON (u.level = 4 AND b.grid_code = u.code) OR (u.level <> 4 AND b.pt && u.geom AND ST_Intersects(b.pt, u.geom))
        WHERE u.code = $1 ORDER BY b.id LIMIT $2`, code, maxBuildings)
	if err != nil {
		return mc, fmt.Errorf("store: board buildings %s: %w", code, err)
	}
	mc.Buildings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (g orb.Geometry, err error) {
		return g, r.Scan(geometryCol{&g})
	})
	if err != nil {
		return mc, fmt.Errorf("store: board buildings %s: %w", code, err)
	}
	return mc, nil
}

// GridsBelow lists the grids in the subtree of code (itself when it is a
// grid), at most limit+1 so callers can tell "too many".
func (s *Store) GridsBelow(ctx context.Context, code string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
WITH RECURSIVE t AS (
    SELECT code, level FROM units WHERE code = $1
    UNION ALL
    SELECT c.code, c.level FROM units c JOIN t ON c.parent_code = t.code WHERE t.level < 4
)
SELECT code FROM t WHERE level = 4 ORDER BY code LIMIT $2`, code, limit+1)
	if err != nil {
		return nil, fmt.Errorf("store: grids below %s: %w", code, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// HouseholdCount counts the households of a grid (by their building's grid)
// or an estate (buildings inside it).
func (s *Store) HouseholdCount(ctx context.Context, code string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM units u JOIN buildings b
        ON (u.level = 4 AND b.grid_code = u.code) OR (u.level = 5 AND b.pt && u.geom AND ST_Intersects(b.pt, u.geom))
        JOIN households h ON h.building_id = b.id WHERE u.code = $1`, code).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: households of %s: %w", code, err)
	}
	return n, nil
}

// UnitsAt lists the units of one level, optionally under parent, for export.
func (s *Store) UnitsAt(ctx context.Context, level int, parent string) ([]UnitRef, error) {
	rows, err := s.pool.Query(ctx, `
WITH RECURSIVE t AS (
    SELECT code FROM units WHERE code = $2
    UNION ALL
    SELECT c.code FROM units c JOIN t ON c.parent_code = t.code
)
SELECT code, coalesce(parent_code, ''), name, kind, level, ST_AsBinary(geom) FROM units
WHERE level = $1 AND ($2 = '' OR code IN (SELECT code FROM t)) ORDER BY code`, level, parent)
	if err != nil {
		return nil, fmt.Errorf("store: units at %d: %w", level, err)
	}
	out, err := pgx.CollectRows(rows, scanUnitRef)
	if err != nil {
		return nil, fmt.Errorf("store: units at %d: %w", level, err)
	}
	return out, nil
}
