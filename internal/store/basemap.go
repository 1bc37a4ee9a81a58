package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
)

// BaseFeature is one line or area of a district's base map: a street
// (migration 64, which the patrol sweep measures walked length on) or water
// (migration 175). Both are drawn under the grids.
type BaseFeature struct {
	ID         int64
	Name, Kind string
	Geom       orb.Geometry
	Feature    int // its feature in the file, for errors
}

// Base map tables.
const (
	BaseStreets = "streets" // lines only
	BaseWater   = "water"   // lines and areas
)

// baseSQL is each base table's statements; the table names are these constants, never input.
type baseSQL struct{ clear, insert, outside, load string }

func baseStatements(table string) (baseSQL, error) {
	if table != BaseStreets && table != BaseWater {
		return baseSQL{}, fmt.Errorf("store: %q is not a base map table", table)
	}
	t := pgx.Identifier{table}.Sanitize()
	return baseSQL{
		clear: `DELETE FROM ` + t + ` WHERE region_code = $1`,
		insert: `INSERT INTO ` + t + ` (region_code, name, kind, geom)
SELECT $1, n, k, ST_GeomFromWKB(g, 4326) FROM unnest($2::text[], $3::text[], $4::bytea[]) AS s(n, k, g)`,
		// Features that do not touch the district are another district's.
		outside: `SELECT i FROM unnest($2::bytea[]) WITH ORDINALITY AS s(g, i), units u
WHERE u.code = $1 || '000000' AND NOT ST_Intersects(u.geom, ST_GeomFromWKB(s.g, 4326))
ORDER BY i LIMIT 20`,
		load: `SELECT id, name, kind, ST_AsBinary(geom) FROM ` + t + ` ORDER BY id`,
	}, nil
}

// ReplaceBase makes fs the table's features of a region (6 digits) in one
// transaction with its audit entry; features that miss the district store
// nothing. It returns how many the region had before.
func (s *Store) ReplaceBase(ctx context.Context, table, region string, fs []BaseFeature, audit AuditEntry) (int64, error) {
	q, err := baseStatements(table)
	if err != nil {
		return 0, err
	}
	names, kinds, geoms := make([]string, len(fs)), make([]string, len(fs)), make([][]byte, len(fs))
	for i, f := range fs {
		names[i], kinds[i], geoms[i] = f.Name, f.Kind, encodeWKB(f.Geom)
	}
	var before int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, q.outside, region, geoms)
		if err != nil {
			return err
		}
		outside, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(outside) > 0 {
			idx := make([]int, len(outside))
			for i, o := range outside {
				idx[i] = fs[o-1].Feature
			}
			return apperr.New(apperr.ErrInvalid, "features %v lie outside district %s000000", idx, region)
		}
		tag, err := tx.Exec(ctx, q.clear, region)
		if err != nil {
			return err
		}
		before = tag.RowsAffected()
		if _, err := tx.Exec(ctx, q.insert, region, names, kinds, geoms); err != nil {
			return err
		}
		audit.Details, _ = json.Marshal(map[string]any{"region": region, "features": len(fs), "replaced": before})
		return s.Audit(ctx, tx, audit)
	})
	if err != nil {
		return 0, txError(err, table+" "+region)
	}
	return before, nil
}

// MapBase reads every feature of a base map table (the map layers).
func (s *Store) MapBase(ctx context.Context, table string) ([]BaseFeature, error) {
	q, err := baseStatements(table)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q.load)
	if err != nil {
		return nil, fmt.Errorf("store: map %s: %w", table, err)
	}
	defer rows.Close()
	var out []BaseFeature
	for rows.Next() {
		var f BaseFeature
		var g []byte
		if err := rows.Scan(&f.ID, &f.Name, &f.Kind, &g); err != nil {
			return nil, fmt.Errorf("store: map %s: %w", table, err)
		}
		if f.Geom, err = decodeGeometry(g); err != nil {
			return nil, fmt.Errorf("store: %s %d: %w", table, f.ID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// StreetCut is a street of the district's network that crosses a grid from
// side to side: the grid's two parts on either side of it, and the street
// within 20 m of the grid (the line a split along it is drawn with).
type StreetCut struct {
	Name  string
	Line  orb.LineString
	Parts [2]orb.MultiPolygon
}

// Streets whose line splits a grid into exactly two parts, for every grid
// asked at once (at most 50 a grid).
const streetCutsSQL = `
WITH g AS (SELECT code, geom FROM units WHERE code = ANY($1) AND level = 4),
cut AS (
    SELECT g.code, s.id, s.name, ST_Intersection(s.geom, ST_Buffer(g.geom::geography, 20)::geometry) AS line,
           ARRAY(SELECT ST_AsBinary(ST_Multi(d.geom)) FROM ST_Dump(ST_Split(g.geom, s.geom)) d) AS parts,
           row_number() OVER (PARTITION BY g.code ORDER BY s.id) AS k
    FROM g JOIN streets s ON s.region_code = left(g.code, 6) AND s.geom && g.geom AND ST_Crosses(s.geom, g.geom))
SELECT code, name, ST_AsBinary(line), parts FROM cut
WHERE cardinality(parts) = 2 AND GeometryType(line) = 'LINESTRING' AND k <= 50
ORDER BY code, id`

// StreetCuts lists, per grid code, the streets that cut it in two: one
// query for all the grids a balance answer proposes splits for.
func (s *Store) StreetCuts(ctx context.Context, codes []string) (map[string][]StreetCut, error) {
	out := map[string][]StreetCut{}
	if len(codes) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, streetCutsSQL, codes)
	if err != nil {
		return nil, fmt.Errorf("store: street cuts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c StreetCut
		var code string
		var line []byte
		var parts [][]byte
		if err := rows.Scan(&code, &c.Name, &line, &parts); err != nil {
			return nil, fmt.Errorf("store: street cuts: %w", err)
		}
		g, err := decodeGeometry(line)
		if err != nil {
			return nil, err
		}
		c.Line, _ = g.(orb.LineString)
		for i, p := range parts {
			if c.Parts[i], err = decodeMultiPolygon(p); err != nil {
				return nil, err
			}
		}
		out[code] = append(out[code], c)
	}
	return out, rows.Err()
}
