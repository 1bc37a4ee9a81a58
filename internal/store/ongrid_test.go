package store_test

import (
	"context"
	"hash/fnv"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/ingest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// jitter is a displacement below half the 1e-7° grid that depends only on
// the vertex, so a vertex two grids share moves the same way in both.
func jitter(p orb.Point) orb.Point {
	h := fnv.New64a()
	var b [16]byte
	for i, v := range []uint64{math.Float64bits(p[0]), math.Float64bits(p[1])} {
		for k := range 8 {
			b[i*8+k] = byte(v >> (8 * k))
		}
	}
	h.Write(b[:])
	s := h.Sum64()
	dx := (float64(s&0xffff)/0xffff - 0.5) * 8e-8
	dy := (float64(s>>16&0xffff)/0xffff - 0.5) * 8e-8
	return orb.Point{p[0] + dx, p[1] + dy}
}

// The migration's snap (on_grid, migration 000030) of a community whose
// grids were moved off the grid brings every grid back exactly, so shared
// vertices stay shared and the coverage has no gap or overlap; and every
// geometry write afterwards, whatever the writer, is snapped by trigger.
func TestStoredGeometryIsOnTheGrid(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	ctx := context.Background()
	var comm string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 3 ORDER BY code LIMIT 1`).Scan(&comm); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT code, ST_AsBinary(geom) FROM units WHERE parent_code = $1 ORDER BY code`, comm)
	if err != nil {
		t.Fatal(err)
	}
	orig := map[string][]byte{}
	moved := map[string][]byte{}
	for rows.Next() {
		var code string
		var b []byte
		if err := rows.Scan(&code, &b); err != nil {
			t.Fatal(err)
		}
		g, err := wkb.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		mp := g.(orb.MultiPolygon).Clone()
		for _, p := range mp {
			for _, r := range p {
				for i := range r {
					r[i] = jitter(r[i])
				}
			}
		}
		orig[code] = b
		moved[code], _ = wkb.Marshal(mp)
	}
	rows.Close()
	if len(orig) < 3 {
		t.Fatalf("community %s has %d grids", comm, len(orig))
	}

	// Off the grid, as rows written before the migration may be.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `ALTER TABLE units DISABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	for code, b := range moved {
		if _, err := tx.Exec(ctx, `UPDATE units SET geom = ST_SetSRID(ST_GeomFromWKB($2), 4326) WHERE code = $1`, code, b); err != nil {
			t.Fatal(err)
		}
	}
	var off int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM units WHERE parent_code = $1 AND ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom))`, comm).Scan(&off); err != nil {
		t.Fatal(err)
	}
	if off != len(orig) {
		t.Fatalf("%d of %d grids off the grid after the jitter", off, len(orig))
	}
	// The migration's statement.
	if _, err := tx.Exec(ctx, `UPDATE units SET geom = on_grid(geom) WHERE ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom))`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `ALTER TABLE units ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	for code, b := range orig {
		var same bool
		if err := tx.QueryRow(ctx, `SELECT ST_AsBinary(geom) = $2 FROM units WHERE code = $1`, code, b).Scan(&same); err != nil {
			t.Fatal(err)
		}
		if !same {
			t.Errorf("grid %s is not back on its original vertices", code)
		}
	}
	var defects int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM coverage_defects($1, 0.0001)`, comm).Scan(&defects); err != nil {
		t.Fatal(err)
	}
	if defects != 0 {
		t.Errorf("%d coverage defects after snapping", defects)
	}

	// Later writes of any geometry column are snapped by the triggers.
	for _, w := range []struct{ name, update, check string }{
		// Less than the grid: a no-op, no new version.
		{"unit, no-op", `UPDATE units SET geom = ST_Translate(geom, 3e-9, -2e-9) WHERE code = (SELECT max(code) FROM units WHERE level = 4)`,
			`SELECT ST_AsEWKB(u.geom) = ST_AsEWKB(on_grid(u.geom)) AND u.version = (SELECT max(version) FROM unit_versions v WHERE v.code = u.code)
			   AND (SELECT count(*) FROM unit_versions v WHERE v.code = u.code) = u.version
			 FROM units u WHERE code = (SELECT max(code) FROM units WHERE level = 4)`},
		{"unit", `UPDATE units SET geom = ST_Translate(geom, 2.03e-7, -1.02e-7) WHERE code = (SELECT max(code) FROM units WHERE level = 4)`,
			`SELECT bool_and(ST_X(p.geom) = round(ST_X(p.geom)::numeric, 7)::float8 AND ST_Y(p.geom) = round(ST_Y(p.geom)::numeric, 7)::float8)
			 FROM units u, ST_DumpPoints(u.geom) p WHERE code = (SELECT max(code) FROM units WHERE level = 4)`},
		{"building point", `UPDATE buildings SET pt = ST_Translate(pt, 3e-9, -2e-9) WHERE id = (SELECT min(id) FROM buildings)`,
			`SELECT ST_X(pt) = round(ST_X(pt)::numeric, 7)::float8 AND ST_Y(pt) = round(ST_Y(pt)::numeric, 7)::float8 FROM buildings WHERE id = (SELECT min(id) FROM buildings)`},
		{"building footprint", `UPDATE buildings SET footprint = ST_Translate(footprint, 3e-9, -2e-9) WHERE id = (SELECT min(id) FROM buildings WHERE footprint IS NOT NULL)`,
			`SELECT ST_AsEWKB(footprint) = ST_AsEWKB(on_grid(footprint)) FROM buildings WHERE id = (SELECT min(id) FROM buildings WHERE footprint IS NOT NULL)`},
		{"incident", `UPDATE incidents SET pt = ST_Translate(pt, 3e-9, -2e-9) WHERE id = (SELECT min(id) FROM incidents)`,
			`SELECT ST_X(pt) = round(ST_X(pt)::numeric, 7)::float8 AND ST_Y(pt) = round(ST_Y(pt)::numeric, 7)::float8 FROM incidents WHERE id = (SELECT min(id) FROM incidents)`},
	} {
		tag, err := tx.Exec(ctx, w.update)
		if err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if tag.RowsAffected() != 1 {
			t.Fatalf("%s: %d rows written, want 1", w.name, tag.RowsAffected())
		}
		var ok bool
		if err := tx.QueryRow(ctx, w.check).Scan(&ok); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if !ok {
			t.Errorf("%s: stored off the 1e-7° grid", w.name)
		}
	}
}

// Patrol fixes, which have no trigger (their volume), are put on the grid
// by both writers.
func TestPatrolFixesAreStoredOnTheGrid(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	st := store.New(pool)
	ids := workers(t, pool, 2)
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, workcal.CST)
	noisy := func(fs []ingest.Fix) []ingest.Fix {
		for i := range fs {
			fs[i].Point[0] += 3.3e-9
			fs[i].Point[1] -= 2.7e-9
		}
		return fs
	}
	if n, err := st.AddFixes(ctx, "330199", ids[0], noisy(walk(orb.Point{120.1, 30.2}, start, 20))); err != nil || n != 20 {
		t.Fatalf("add: %d %v", n, err)
	}
	var bulk []store.BulkFix
	for _, f := range noisy(walk(orb.Point{120.1, 30.2}, start, 20)) {
		bulk = append(bulk, store.BulkFix{Region: "330199", UserID: ids[1], Fix: f})
	}
	if n, err := st.CopyFixes(ctx, bulk); err != nil || n != 20 {
		t.Fatalf("copy: %d %v", n, err)
	}
	var off, all int
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE ST_X(pt) <> round(ST_X(pt)::numeric, 7)::float8
		OR ST_Y(pt) <> round(ST_Y(pt)::numeric, 7)::float8), count(*) FROM patrol_points`).Scan(&off, &all); err != nil {
		t.Fatal(err)
	}
	if off != 0 || all != 40 {
		t.Errorf("%d of %d patrol points off the 1e-7° grid", off, all)
	}
}
