package store

// PostGIS overlays of the boundary editor: no table, set-based geometry work
// on the parameters (and the current units) inside the edit's transaction.

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

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
func (s *Store) Faces(ctx context.Context, q Querier, codes []string, claimCodes []string, claims []orb.Geometry, parent string) ([]Face, error) {
	raw := make([][]byte, len(claims))
	for i, c := range claims {
		raw[i] = encodeWKB(c)
	}
	rows, err := q.Query(ctx, facesSQL, codes, claimCodes, raw, parent)
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
		mp, err := decodeMultiPolygon(b)
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
func (s *Store) UnionBy(ctx context.Context, q Querier, owners []string, geoms []orb.Geometry) (map[string]orb.MultiPolygon, error) {
	raw := make([][]byte, len(geoms))
	for i, g := range geoms {
		raw[i] = encodeWKB(g)
	}
	rows, err := q.Query(ctx, unionSQL, owners, raw)
	if err != nil {
		return nil, fmt.Errorf("store: union: %w", err)
	}
	out := map[string]orb.MultiPolygon{}
	var o string
	var mp orb.MultiPolygon
	if _, err := pgx.ForEachRow(rows, []any{&o, multiPolygonCol{&mp}}, func() error { out[o] = mp; return nil }); err != nil {
		return nil, fmt.Errorf("store: union: %w", err)
	}
	return out, nil
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
func (s *Store) AssignReleased(ctx context.Context, q Querier, owners []string, owned []orb.Geometry, released []orb.Geometry, exclude []string) ([]Released, error) {
	ob := make([][]byte, len(owned))
	for i, g := range owned {
		ob[i] = encodeWKB(g)
	}
	rb := make([][]byte, len(released))
	for i, g := range released {
		rb[i] = encodeWKB(g)
	}
	rows, err := q.Query(ctx, releasedSQL, owners, ob, rb, exclude)
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
		mp, err := decodeMultiPolygon(b)
		if err != nil || len(mp) != 1 {
			return nil, fmt.Errorf("store: released piece: %v", err)
		}
		r.Geom = mp[0]
		out = append(out, r)
	}
	return out, rows.Err()
}

const splitSQL = `
SELECT ST_AsBinary(d.geom) FROM ST_Dump(ST_CollectionExtract(
    ST_Split(ST_GeomFromWKB($1, 4326), ST_GeomFromWKB($2, 4326)), 3)) d
ORDER BY ST_Area(d.geom) DESC`

// SplitGeom cuts g along line and returns the parts, largest first.
func (s *Store) SplitGeom(ctx context.Context, q Querier, g orb.MultiPolygon, line orb.LineString) ([]orb.MultiPolygon, error) {
	rows, err := q.Query(ctx, splitSQL, encodeWKB(g), encodeWKB(line))
	if err != nil {
		return nil, fmt.Errorf("store: split: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (mp orb.MultiPolygon, err error) {
		return mp, r.Scan(multiPolygonCol{&mp})
	})
	if err != nil {
		return nil, fmt.Errorf("store: split: %w", err)
	}
	return out, nil
}
