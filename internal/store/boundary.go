package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// Grid is one grid row as the boundary editor sees it.
type Grid struct {
	Code, Parent, Name, Kind string
	Version                  int
	Geom                     orb.MultiPolygon
}

func decodeWKB(b []byte) (orb.MultiPolygon, error) {
	if len(b) == 0 {
		return nil, nil
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("store: wkb: %w", err)
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.Collection:
		var mp orb.MultiPolygon
		for _, x := range g {
			switch x := x.(type) {
			case orb.Polygon:
				mp = append(mp, x)
			case orb.MultiPolygon:
				mp = append(mp, x...)
			}
		}
		return mp, nil
	}
	return nil, fmt.Errorf("store: wkb: %T is not polygonal", g)
}

func encodeWKB(g orb.Geometry) []byte {
	b, err := wkb.Marshal(g)
	if err != nil {
		return nil
	}
	return b
}

// SetActor records who changes units in tx and why, for the unit_versions
// trigger (SET LOCAL: it ends with the transaction).
func (s *Store) SetActor(ctx context.Context, tx pgx.Tx, user, reason string) error {
	_, err := tx.Exec(ctx, `SELECT set_config('wangge.user', $1, true), set_config('wangge.reason', $2, true)`, user, reason)
	if err != nil {
		return fmt.Errorf("store: set actor: %w", err)
	}
	return nil
}

const lockUnitSQL = `
SELECT code, coalesce(parent_code, ''), name, kind, version, ST_AsBinary(geom)
FROM units WHERE code = $1 AND level = $2 FOR UPDATE`

// LockUnit reads a unit of the given level and locks its row until tx ends;
// a missing unit is ErrNotFound.
func (s *Store) LockUnit(ctx context.Context, tx pgx.Tx, code string, level int) (Grid, error) {
	var g Grid
	var raw []byte
	err := tx.QueryRow(ctx, lockUnitSQL, code, level).Scan(&g.Code, &g.Parent, &g.Name, &g.Kind, &g.Version, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, apperr.New(apperr.ErrNotFound, "no %s with code %q", unit.LevelName(level), code)
	}
	if err != nil {
		return g, fmt.Errorf("store: unit %s: %w", code, err)
	}
	g.Geom, err = decodeWKB(raw)
	return g, err
}

const siblingsNearSQL = `
SELECT code, coalesce(parent_code, ''), name, kind, version, ST_AsBinary(geom)
FROM units
WHERE parent_code = $1 AND level = 4 AND geom && ST_Expand(ST_GeomFromWKB($2, 4326), $3)
ORDER BY code FOR UPDATE`

// GridsNear locks and returns the grids of parent whose bounding box comes
// within margin degrees of area.
func (s *Store) GridsNear(ctx context.Context, tx pgx.Tx, parent string, area orb.Geometry, margin float64) ([]Grid, error) {
	rows, err := tx.Query(ctx, siblingsNearSQL, parent, encodeWKB(area), margin)
	if err != nil {
		return nil, fmt.Errorf("store: grids near: %w", err)
	}
	defer rows.Close()
	var out []Grid
	for rows.Next() {
		var g Grid
		var raw []byte
		if err := rows.Scan(&g.Code, &g.Parent, &g.Name, &g.Kind, &g.Version, &raw); err != nil {
			return nil, fmt.Errorf("store: grids near: %w", err)
		}
		if g.Geom, err = decodeWKB(raw); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Face is one cell of the arrangement of the old and new boundaries of an
// edit: every resulting grid is a union of faces, so neighbours share exactly
// the same noded edges.
type Face struct {
	Geom     orb.Polygon
	Claim    string   // first claim containing the face ("" none)
	In       []string // current grids containing it
	InParent bool
	Area     float64 // m²
	Width    float64 // mean width 2·area/perimeter, m
}

const facesSQL = `
WITH parts AS (
    SELECT code, geom FROM units WHERE code = ANY($1::text[])
), claims AS (
    SELECT c.ord, c.code, ST_SetSRID(ST_GeomFromWKB(c.g), 4326) AS geom
    FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS c(code, g, ord)
), lines AS (
    SELECT ST_Boundary(geom) AS b FROM parts
    UNION ALL SELECT ST_Boundary(geom) FROM claims WHERE NOT ST_IsEmpty(geom)
), noded AS (
    SELECT ST_Polygonize(n.g) AS gc FROM (SELECT ST_Union(b) AS g FROM lines) n
), faces AS (
    SELECT d.geom AS f, ST_PointOnSurface(d.geom) AS p FROM noded CROSS JOIN LATERAL ST_Dump(noded.gc) d
)
SELECT ST_AsBinary(k.f),
       coalesce((SELECT c.code FROM claims c WHERE c.geom && k.p AND ST_Intersects(c.geom, k.p) ORDER BY c.ord LIMIT 1), ''),
       ARRAY(SELECT p.code FROM parts p WHERE p.geom && k.p AND ST_Intersects(p.geom, k.p) ORDER BY p.code),
       coalesce((SELECT ST_Intersects(u.geom, k.p) FROM units u WHERE u.code = $4), true),
       ST_Area(k.f::geography), ST_Perimeter(k.f::geography)
FROM faces k`

// Faces nodes the boundaries of the current grids codes and of the claimed
// geometries (in priority order) and classifies every face of the
// arrangement: which claim and which current grids contain it, and whether it
// lies inside parent.
func (s *Store) Faces(ctx context.Context, tx pgx.Tx, codes []string, claimCodes []string, claims []orb.Geometry, parent string) ([]Face, error) {
	raw := make([][]byte, len(claims))
	for i, c := range claims {
		raw[i] = encodeWKB(c)
	}
	rows, err := tx.Query(ctx, facesSQL, codes, claimCodes, raw, parent)
	if err != nil {
		return nil, fmt.Errorf("store: faces: %w", err)
	}
	defer rows.Close()
	var out []Face
	for rows.Next() {
		var f Face
		var b []byte
		var perim float64
		if err := rows.Scan(&b, &f.Claim, &f.In, &f.InParent, &f.Area, &perim); err != nil {
			return nil, fmt.Errorf("store: faces: %w", err)
		}
		mp, err := decodeWKB(b)
		if err != nil || len(mp) != 1 {
			return nil, fmt.Errorf("store: face is not one polygon: %v", err)
		}
		f.Geom = mp[0]
		if perim > 0 {
			f.Width = 2 * f.Area / perim
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

const unionSQL = `
SELECT t.o, ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_Union(ST_SetSRID(ST_GeomFromWKB(t.g), 4326)), 3)))
FROM unnest($1::text[], $2::bytea[]) AS t(o, g) GROUP BY t.o`

// UnionBy unions the polygons geoms grouped by the owner at the same index.
func (s *Store) UnionBy(ctx context.Context, tx pgx.Tx, owners []string, geoms []orb.Geometry) (map[string]orb.MultiPolygon, error) {
	raw := make([][]byte, len(geoms))
	for i, g := range geoms {
		raw[i] = encodeWKB(g)
	}
	rows, err := tx.Query(ctx, unionSQL, owners, raw)
	if err != nil {
		return nil, fmt.Errorf("store: union: %w", err)
	}
	defer rows.Close()
	out := map[string]orb.MultiPolygon{}
	for rows.Next() {
		var o string
		var b []byte
		if err := rows.Scan(&o, &b); err != nil {
			return nil, fmt.Errorf("store: union: %w", err)
		}
		if out[o], err = decodeWKB(b); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

const releasedSQL = `
WITH owned AS (
    SELECT o, ST_SetSRID(ST_GeomFromWKB(g), 4326) AS g FROM unnest($1::text[], $2::bytea[]) AS t(o, g)
), r AS (
    SELECT d.geom AS g FROM (SELECT ST_Union(ST_SetSRID(ST_GeomFromWKB(g), 4326)) AS u FROM unnest($3::bytea[]) AS t(g)) x
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(x.u, 3)) d
)
SELECT ST_AsBinary(r.g), ST_Area(r.g::geography),
       coalesce((SELECT b.o FROM (
           SELECT owned.o, ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(owned.g), ST_Boundary(r.g)), 2)::geography) AS len
           FROM owned WHERE owned.g && r.g AND NOT (owned.o = ANY($4::text[]))) b
        WHERE b.len > 0 ORDER BY b.len DESC, b.o LIMIT 1), '')
FROM r`

// Released is one connected piece of area that an edit gives up.
type Released struct {
	Geom orb.Polygon
	Area float64 // m²
	To   string  // the eligible owner with the longest shared border ("" none)
}

// AssignReleased dissolves the released faces into connected pieces and
// names, for each, the owner (among owners, except those in exclude) with the
// longest shared border.
func (s *Store) AssignReleased(ctx context.Context, tx pgx.Tx, owners []string, owned []orb.Geometry, released []orb.Geometry, exclude []string) ([]Released, error) {
	ob := make([][]byte, len(owned))
	for i, g := range owned {
		ob[i] = encodeWKB(g)
	}
	rb := make([][]byte, len(released))
	for i, g := range released {
		rb[i] = encodeWKB(g)
	}
	rows, err := tx.Query(ctx, releasedSQL, owners, ob, rb, exclude)
	if err != nil {
		return nil, fmt.Errorf("store: released: %w", err)
	}
	defer rows.Close()
	var out []Released
	for rows.Next() {
		var r Released
		var b []byte
		if err := rows.Scan(&b, &r.Area, &r.To); err != nil {
			return nil, fmt.Errorf("store: released: %w", err)
		}
		mp, err := decodeWKB(b)
		if err != nil || len(mp) != 1 {
			return nil, fmt.Errorf("store: released piece: %v", err)
		}
		r.Geom = mp[0]
		out = append(out, r)
	}
	return out, rows.Err()
}

// UpdateGrid replaces a grid's geometry, and its name and kind unless ""
// (the triggers bump its version and keep the old row in unit_versions).
func (s *Store) UpdateGrid(ctx context.Context, tx pgx.Tx, g Grid) error {
	_, err := tx.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_GeomFromWKB($2, 4326)), name = coalesce(nullif($3, ''), name),
        kind = coalesce(nullif($4, ''), kind), updated_by = NULL, reason = NULL WHERE code = $1 AND level = 4`,
		g.Code, encodeWKB(g.Geom), g.Name, g.Kind)
	if err != nil {
		return fmt.Errorf("store: update %s: %w", g.Code, err)
	}
	return nil
}

// InsertGrid adds a grid under parent.
func (s *Store) InsertGrid(ctx context.Context, tx pgx.Tx, g Grid) error {
	_, err := tx.Exec(ctx, `INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
        VALUES ($1, $2, 4, $3, $4, left($1, 6), ST_Multi(ST_GeomFromWKB($5, 4326)))`,
		g.Code, g.Parent, g.Name, g.Kind, encodeWKB(g.Geom))
	if err != nil {
		return fmt.Errorf("store: insert %s: %w", g.Code, err)
	}
	return nil
}

// DeleteGrid removes a grid (its staff go with it; buildings and incidents
// keep their rows and are re-assigned by location).
func (s *Store) DeleteGrid(ctx context.Context, tx pgx.Tx, code string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM units WHERE code = $1 AND level = 4`, code); err != nil {
		return fmt.Errorf("store: delete %s: %w", code, err)
	}
	return nil
}

// NextGridCode is the next free grid code of a community: its code plus one
// more than the highest 3-digit sequence ever used there (history included,
// so a deleted grid's code is never given to another area).
func (s *Store) NextGridCode(ctx context.Context, tx pgx.Tx, community string, skip int) (string, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT coalesce(max(right(code, 3)::int), 0) FROM unit_versions
        WHERE level = 4 AND left(code, 12) = $1`, community).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("store: next grid code: %w", err)
	}
	n += 1 + skip
	if n > 999 {
		return "", apperr.New(apperr.ErrConflict, "community %s has used all 999 grid codes", community)
	}
	return fmt.Sprintf("%s%03d", community, n), nil
}

// Moved counts what a boundary change re-assigned.
type Moved struct {
	Buildings  int `json:"buildings"`
	Households int `json:"households"`
	Incidents  int `json:"incidents"`
}

const reassignBuildingsSQL = `
WITH area AS MATERIALIZED (SELECT ST_SetSRID(ST_GeomFromWKB(g), 4326) AS g FROM unnest($1::bytea[]) AS t(g)),
ids AS (
    SELECT b.id FROM area JOIN buildings b ON b.pt && area.g AND ST_Intersects(area.g, b.pt)
    UNION
    SELECT b.id FROM buildings b WHERE b.grid_code = ANY($2::text[])
), cand AS (
    SELECT b.id, b.grid_code AS old,
           (SELECT u.code FROM units u WHERE u.level = 4 AND u.geom && b.pt AND ST_Intersects(u.geom, b.pt)
            ORDER BY u.code LIMIT 1) AS new
    FROM ids JOIN buildings b USING (id)
), moved AS (
    UPDATE buildings b SET grid_code = cand.new FROM cand
    WHERE b.id = cand.id AND cand.old IS DISTINCT FROM cand.new
    RETURNING b.id
)
SELECT (SELECT count(*) FROM moved),
       (SELECT count(*) FROM households h WHERE h.building_id IN (SELECT id FROM moved))`

const reassignIncidentsSQL = `
WITH area AS MATERIALIZED (SELECT ST_SetSRID(ST_GeomFromWKB(g), 4326) AS g FROM unnest($1::bytea[]) AS t(g)),
ids AS (
    SELECT i.id FROM area JOIN incidents i ON i.pt && area.g AND ST_Intersects(area.g, i.pt)
    UNION
    SELECT i.id FROM incidents i WHERE i.grid_code = ANY($2::text[])
), cand AS (
    SELECT i.id, i.grid_code AS old,
           (SELECT u.code FROM units u WHERE u.level = 4 AND u.geom && i.pt AND ST_Intersects(u.geom, i.pt)
            ORDER BY u.code LIMIT 1) AS new
    FROM ids JOIN incidents i USING (id)
), moved AS (
    UPDATE incidents i SET grid_code = cand.new FROM cand
    WHERE i.id = cand.id AND cand.old IS DISTINCT FROM cand.new
    RETURNING i.id
)
SELECT count(*) FROM moved`

// Reassign puts buildings (and so their households) and incidents lying in
// area (old and new shapes of the changed grids) or filed under codes into
// the grid that now contains their point, and counts the moves.
func (s *Store) Reassign(ctx context.Context, tx pgx.Tx, area []orb.Geometry, codes []string) (Moved, error) {
	raw := make([][]byte, 0, len(area))
	for _, g := range area {
		if g != nil {
			raw = append(raw, encodeWKB(g))
		}
	}
	var m Moved
	if err := tx.QueryRow(ctx, reassignBuildingsSQL, raw, codes).Scan(&m.Buildings, &m.Households); err != nil {
		return m, fmt.Errorf("store: reassign buildings: %w", err)
	}
	if err := tx.QueryRow(ctx, reassignIncidentsSQL, raw, codes).Scan(&m.Incidents); err != nil {
		return m, fmt.Errorf("store: reassign incidents: %w", err)
	}
	return m, nil
}

const splitSQL = `
SELECT ST_AsBinary(d.geom) FROM ST_Dump(ST_CollectionExtract(
    ST_Split(ST_GeomFromWKB($1, 4326), ST_GeomFromWKB($2, 4326)), 3)) d
ORDER BY ST_Area(d.geom) DESC`

// SplitGeom cuts g along line and returns the parts, largest first.
func (s *Store) SplitGeom(ctx context.Context, tx pgx.Tx, g orb.MultiPolygon, line orb.LineString) ([]orb.MultiPolygon, error) {
	rows, err := tx.Query(ctx, splitSQL, encodeWKB(g), encodeWKB(line))
	if err != nil {
		return nil, fmt.Errorf("store: split: %w", err)
	}
	defer rows.Close()
	var out []orb.MultiPolygon
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("store: split: %w", err)
		}
		mp, err := decodeWKB(b)
		if err != nil {
			return nil, err
		}
		out = append(out, mp)
	}
	return out, rows.Err()
}

// scopeArgs turns an optional ancestor code into the (digits, prefix) pair
// the history queries filter grid codes with.
func scopeArgs(parent string) (int, string) {
	if parent == "" {
		return 0, ""
	}
	n := unit.PrefixLen(parent)
	return n, parent[:n]
}

const versionFeatureSQL = `
json_build_object('type', 'Feature', 'id', v.code,
    'geometry', ST_AsGeoJSON(v.geom, 7)::json,
    'properties', json_build_object('code', v.code, 'name', v.name, 'level', 'grid', 'parent_code', v.parent_code,
        'kind', v.kind, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
        'changed_by', v.changed_by, 'reason', v.reason))`

const gridsAsOfSQL = `
SELECT ` + versionFeatureSQL + `::text
FROM unit_versions v
WHERE v.level = 4 AND v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to > $1)
  AND ($2 = 0 OR left(v.code, $2) = $3)
ORDER BY v.code`

// StreamGridsAsOf writes the grids (under parent, when given) as they were
// at time at, from unit_versions, as a GeoJSON FeatureCollection.
func (s *Store) StreamGridsAsOf(ctx context.Context, at time.Time, parent string, w io.Writer) error {
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, gridsAsOfSQL, at, n, prefix)
	if err != nil {
		return fmt.Errorf("store: grids as of: %w", err)
	}
	return streamFeatures(rows, w)
}

func streamFeatures(rows pgx.Rows, w io.Writer) error {
	defer rows.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	first := true
	for rows.Next() {
		var f []byte
		if err := rows.Scan(&f); err != nil {
			return fmt.Errorf("store: features: %w", err)
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.Write(f)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: features: %w", err)
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

const gridVersionsSQL = `
SELECT ` + versionFeatureSQL + `::text FROM unit_versions v WHERE v.code = $1 ORDER BY v.version`

// StreamGridVersions writes every version of a unit, oldest first; a code
// with no history is ErrNotFound.
func (s *Store) StreamGridVersions(ctx context.Context, code string, w io.Writer) error {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM unit_versions WHERE code = $1`, code).Scan(&n); err != nil {
		return fmt.Errorf("store: versions: %w", err)
	}
	if n == 0 {
		return apperr.New(apperr.ErrNotFound, "no unit with code %q, now or ever", code)
	}
	rows, err := s.pool.Query(ctx, gridVersionsSQL, code)
	if err != nil {
		return fmt.Errorf("store: versions: %w", err)
	}
	return streamFeatures(rows, w)
}

const gridsDiffSQL = `
WITH a AS (
    SELECT * FROM unit_versions v WHERE v.level = 4 AND v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to > $1)
      AND ($3 = 0 OR left(v.code, $3) = $4)
), b AS (
    SELECT * FROM unit_versions v WHERE v.level = 4 AND v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to > $2)
      AND ($3 = 0 OR left(v.code, $3) = $4)
)
SELECT json_build_object('type', 'Feature', 'id', coalesce(b.code, a.code),
    'geometry', ST_AsGeoJSON(coalesce(b.geom, a.geom), 7)::json,
    'properties', json_build_object('code', coalesce(b.code, a.code),
        'change', CASE WHEN a.code IS NULL THEN 'added' WHEN b.code IS NULL THEN 'removed' ELSE 'changed' END,
        'name', coalesce(b.name, a.name), 'kind', coalesce(b.kind, a.kind),
        'from_version', a.version, 'to_version', b.version,
        'geometry_changed', a.code IS NULL OR b.code IS NULL OR NOT ST_Equals(a.geom, b.geom),
        'before', ST_AsGeoJSON(a.geom, 7)::json, 'after', ST_AsGeoJSON(b.geom, 7)::json,
        'area_before_m2', ST_Area(a.geom::geography), 'area_after_m2', ST_Area(b.geom::geography)))::text
FROM a FULL JOIN b USING (code)
WHERE a.code IS NULL OR b.code IS NULL OR a.version <> b.version
ORDER BY coalesce(b.code, a.code)`

// StreamGridsDiff writes the grids added, removed or changed between from
// and to as Features (geometry: the newer shape; properties change,
// before/after geometries and areas).
func (s *Store) StreamGridsDiff(ctx context.Context, from, to time.Time, parent string, w io.Writer) error {
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, gridsDiffSQL, from, to, n, prefix)
	if err != nil {
		return fmt.Errorf("store: diff: %w", err)
	}
	return streamFeatures(rows, w)
}

const validationSQL = `
SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(d.geom, 7)::json,
    'properties', json_build_object('kind', d.kind, 'level', l.name, 'parent_code', d.parent_code,
        'codes', d.codes, 'size', d.size, 'unit', 'm2', 'message', d.message))::text
FROM coverage_defects($1, $2) d LEFT JOIN unit_levels l ON l.level = d.level
ORDER BY d.kind, d.parent_code, d.codes`

// StreamDefects writes the SQL coverage validator's defects under root
// (every level below it) as a GeoJSON FeatureCollection.
func (s *Store) StreamDefects(ctx context.Context, root string, minArea float64, w io.Writer) error {
	if _, err := s.unitLevel(ctx, root); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, validationSQL, root, minArea)
	if err != nil {
		return fmt.Errorf("store: validation: %w", err)
	}
	return streamFeatures(rows, w)
}

// SQLDefect is one row of coverage_defects.
type SQLDefect struct {
	Kind    string
	Level   string // level name of the units concerned
	Parent  string
	Codes   []string
	Geom    orb.Geometry
	Size    float64
	Message string
}

// Defects runs the SQL coverage validator under root ("" everywhere).
func (s *Store) Defects(ctx context.Context, root string, minArea float64) ([]SQLDefect, error) {
	return s.DefectsTx(ctx, s.pool, root, minArea)
}

// DefectsTx is Defects inside a transaction (or on any querier).
func (s *Store) DefectsTx(ctx context.Context, q Querier, root string, minArea float64) ([]SQLDefect, error) {
	var r *string
	if root != "" {
		r = &root
	}
	rows, err := q.Query(ctx, `SELECT d.kind, coalesce(l.name, ''), coalesce(d.parent_code, ''), d.codes, ST_AsBinary(d.geom), d.size, d.message
        FROM coverage_defects($1, $2) d LEFT JOIN unit_levels l ON l.level = d.level`, r, minArea)
	if err != nil {
		return nil, fmt.Errorf("store: defects: %w", err)
	}
	defer rows.Close()
	var out []SQLDefect
	for rows.Next() {
		var d SQLDefect
		var b []byte
		if err := rows.Scan(&d.Kind, &d.Level, &d.Parent, &d.Codes, &b, &d.Size, &d.Message); err != nil {
			return nil, fmt.Errorf("store: defects: %w", err)
		}
		if d.Geom, err = wkb.Unmarshal(b); err != nil {
			return nil, fmt.Errorf("store: defects: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
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
		if g.Geom, err = decodeWKB(b); err != nil {
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

// UnitGeoms returns the geometries of the units codes that exist.
func (s *Store) UnitGeoms(ctx context.Context, codes []string) (map[string]orb.MultiPolygon, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, ST_AsBinary(geom) FROM units WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, fmt.Errorf("store: unit geometries: %w", err)
	}
	defer rows.Close()
	out := map[string]orb.MultiPolygon{}
	for rows.Next() {
		var c string
		var b []byte
		if err := rows.Scan(&c, &b); err != nil {
			return nil, fmt.Errorf("store: unit geometries: %w", err)
		}
		if out[c], err = decodeWKB(b); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

const lockGridsSQL = `
SELECT code, coalesce(parent_code, ''), name, kind, version, ST_AsBinary(geom)
FROM units WHERE parent_code = $1 AND level = 4 ORDER BY code FOR UPDATE`

// LockGrids locks and returns every grid of community parent.
func (s *Store) LockGrids(ctx context.Context, tx pgx.Tx, parent string) ([]Grid, error) {
	rows, err := tx.Query(ctx, lockGridsSQL, parent)
	if err != nil {
		return nil, fmt.Errorf("store: lock grids: %w", err)
	}
	defer rows.Close()
	var out []Grid
	for rows.Next() {
		var g Grid
		var raw []byte
		if err := rows.Scan(&g.Code, &g.Parent, &g.Name, &g.Kind, &g.Version, &raw); err != nil {
			return nil, fmt.Errorf("store: lock grids: %w", err)
		}
		if g.Geom, err = decodeWKB(raw); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// UnitParents returns the parent code ("" for a root) of each of codes
// that exists.
func (s *Store) UnitParents(ctx context.Context, q Querier, codes []string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT code, coalesce(parent_code, '') FROM units WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, fmt.Errorf("store: unit parents: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var c, p string
		if err := rows.Scan(&c, &p); err != nil {
			return nil, fmt.Errorf("store: unit parents: %w", err)
		}
		out[c] = p
	}
	return out, rows.Err()
}

const exportGridsSQL = `
SELECT code, name, kind, coalesce(parent_code, ''), ST_AsBinary(geom) FROM units
WHERE level = 4 AND ($1 = 0 OR left(code, $1) = $2) ORDER BY code`

// GridsUnder returns the grids below parent ("" all), ordered by code.
func (s *Store) GridsUnder(ctx context.Context, parent string) ([]Grid, error) {
	if parent != "" {
		if _, err := s.unitLevel(ctx, parent); err != nil {
			return nil, err
		}
	}
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, exportGridsSQL, n, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: grids: %w", err)
	}
	defer rows.Close()
	var out []Grid
	for rows.Next() {
		var g Grid
		var b []byte
		if err := rows.Scan(&g.Code, &g.Name, &g.Kind, &g.Parent, &b); err != nil {
			return nil, fmt.Errorf("store: grids: %w", err)
		}
		if g.Geom, err = decodeWKB(b); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// DisableJIT turns PostgreSQL's JIT off for the rest of tx: the planner's
// cost estimates of PostGIS overlays always cross jit_above_cost, and
// compiling takes far longer than the queries of one edit.
func (s *Store) DisableJIT(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT set_config('jit', 'off', true)`); err != nil {
		return fmt.Errorf("store: jit: %w", err)
	}
	return nil
}
