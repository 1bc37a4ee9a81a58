package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
)

// GeomCheck is PostGIS's judgement of one geometry.
type GeomCheck struct {
	Valid    bool
	Reason   string    // ST_IsValidReason, "" when valid
	Location orb.Point // where it is invalid (valid: zero)
	Repaired orb.MultiPolygon
}

const checkGeomsSQL = `
SELECT t.i, ST_IsValid(x.g), coalesce((d).reason, ''),
       coalesce(ST_X((d).location), 0), coalesce(ST_Y((d).location), 0),
       ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_MakeValid(x.g), 3)))
FROM unnest($1::bytea[]) WITH ORDINALITY AS t(w, i)
CROSS JOIN LATERAL (SELECT ST_GeomFromWKB(t.w, 4326) AS g) x
CROSS JOIN LATERAL (SELECT ST_IsValidDetail(x.g) AS d) v
ORDER BY t.i`

// CheckGeometries asks PostGIS whether each geometry is valid (ST_IsValid,
// with ST_IsValidDetail's reason and location) and returns a copy repaired
// as ST_MakeValid repairs it, polygons only, so a caller can still check the
// overlaps and gaps around an invalid feature.
func (s *Store) CheckGeometries(ctx context.Context, gs []orb.MultiPolygon) ([]GeomCheck, error) {
	ws := make([][]byte, len(gs))
	for i, g := range gs {
		ws[i] = encodeWKB(g)
	}
	rows, err := s.pool.Query(ctx, checkGeomsSQL, ws)
	if err != nil {
		return nil, fmt.Errorf("store: check geometries: %w", err)
	}
	defer rows.Close()
	out := make([]GeomCheck, len(gs))
	for rows.Next() {
		var i int
		var c GeomCheck
		var b []byte
		if err := rows.Scan(&i, &c.Valid, &c.Reason, &c.Location[0], &c.Location[1], &b); err != nil {
			return nil, fmt.Errorf("store: check geometries: %w", err)
		}
		if c.Repaired, err = decodeMultiPolygon(b); err != nil {
			return nil, err
		}
		if c.Valid {
			c.Reason, c.Location = "", orb.Point{}
		}
		out[i-1] = c
	}
	return out, rows.Err()
}

// UnitRef is a stored unit as an import sees it.
type UnitRef struct {
	Code, Parent, Name, Kind string
	Level                    int
	Geom                     orb.MultiPolygon
}

const unitRefsSQL = `
SELECT code, coalesce(parent_code, ''), name, kind, level, ST_AsBinary(geom) FROM units
WHERE code = ANY($1) OR parent_code = ANY($2) OR (level = 1 AND left(code, 4) = ANY($3))
ORDER BY code`

// UnitRefs returns the stored units named in codes, the children of the
// units in parents, and the districts whose code starts with one of the
// 4-digit city prefixes (the siblings a district import must fit between).
func (s *Store) UnitRefs(ctx context.Context, codes, parents, cities []string) (map[string]UnitRef, error) {
	rows, err := s.pool.Query(ctx, unitRefsSQL, codes, parents, cities)
	if err != nil {
		return nil, fmt.Errorf("store: unit refs: %w", err)
	}
	refs, err := pgx.CollectRows(rows, scanUnitRef)
	if err != nil {
		return nil, fmt.Errorf("store: unit refs: %w", err)
	}
	out := make(map[string]UnitRef, len(refs))
	for _, u := range refs {
		out[u.Code] = u
	}
	return out, nil
}

// scanUnitRef scans code, parent, name, kind, level and geometry.
func scanUnitRef(r pgx.CollectableRow) (u UnitRef, err error) {
	return u, r.Scan(&u.Code, &u.Parent, &u.Name, &u.Kind, &u.Level, multiPolygonCol{&u.Geom})
}

// UnitAttrs is what a rename or re-kind changes.
type UnitAttrs struct {
	Name, Kind string // "" keeps the current value
}

// UpdateUnitAttrs renames a unit or changes its kind, as one new version in
// its history; it returns the new version (the old one when nothing changed).
func (s *Store) UpdateUnitAttrs(ctx context.Context, tx pgx.Tx, code string, a UnitAttrs) (int, error) {
	var v int
	err := tx.QueryRow(ctx, `UPDATE units SET name = coalesce(nullif($2, ''), name), kind = coalesce(nullif($3, ''), kind),
        updated_by = NULL, reason = NULL WHERE code = $1 RETURNING version`, code, a.Name, a.Kind).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "units_kind" {
		return 0, apperr.New(apperr.ErrInvalid, "kind %q is not allowed at this level (grids: basic, enterprise, school, industrial_park, market, government, closed_estate, other; other levels: admin)", a.Kind)
	}
	if err != nil {
		return 0, fmt.Errorf("store: update unit %s: %w", code, err)
	}
	return v, nil
}
