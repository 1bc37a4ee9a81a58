package boundary_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"

	"wangge/geo/coverage"
	"wangge/geo/precision"
	"wangge/internal/boundary"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// TestRestoreNeighboursPreviousShape: an adjust edit of a takes area from
// its neighbour b; the planner then restores b's previous shape (from its
// versions, as GET gives it) in adjust mode, and then sends each grid back
// unchanged. All are accepted, the last two as no-ops, and the partition
// stays exact. (Issue #19 saw a 422 "would not share exact edges"; today the
// restore is accepted, but b comes back with one extra vertex: the crossing
// of a's edited edge with b's old edge, rounded to the 1e-7° grid, 0.001 m²
// off b's old shape.)
func TestRestoreNeighboursPreviousShape(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	st := store.New(pool)
	svc := boundary.New(st, boundary.Options{})
	ctx := context.Background()
	comm := firstCommunity(t, pool)
	a, b, v := neighbours(t, loadGrids(t, pool, comm))
	var edited orb.MultiPolygon
	for _, m := range []float64{30, 15, 8, 4} {
		if edited = moveVertex(a.geom, v, precision.Point(toward(v, centroid(b.geom), m))); coverage.CheckGeometry(edited) == nil {
			break
		}
	}
	if _, err := svc.Replace(ctx, a.code, edited, a.version, req(boundary.Adjust)); err != nil {
		t.Fatalf("adjust a: %v", err)
	}
	// What the API serves: GeoJSON at 7 decimals, through the API's parser.
	parsed := func(q string, args ...any) (orb.MultiPolygon, int) {
		t.Helper()
		var js string
		var version int
		if err := pool.QueryRow(ctx, q, args...).Scan(&js, &version); err != nil {
			t.Fatal(err)
		}
		g, _, err := boundary.ParsePolygonWarn(ctx, json.RawMessage(js), 0)
		if err != nil {
			t.Fatal(err)
		}
		return g, version
	}
	prev, _ := parsed(`SELECT ST_AsGeoJSON(geom, 7), version FROM unit_versions WHERE code = $1 AND version = $2`, b.code, b.version)
	_, bNow := parsed(`SELECT ST_AsGeoJSON(geom, 7), version FROM units WHERE code = $1`, b.code)
	if _, err := svc.Replace(ctx, b.code, prev, bNow, req(boundary.Adjust)); err != nil {
		t.Fatalf("restoring %s's previous shape in adjust mode: %v", b.code, err)
	}
	var same bool
	var diff float64
	var now, before string
	if err := pool.QueryRow(ctx, `SELECT ST_Equals(u.geom, v.geom), ST_Area(ST_SymDifference(u.geom, v.geom)::geography), ST_AsText(u.geom), ST_AsText(v.geom)
		FROM units u JOIN unit_versions v ON v.code = u.code AND v.version = $2 WHERE u.code = $1`, b.code, b.version).Scan(&same, &diff, &now, &before); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Errorf("%s is not its previous shape again: %.3f m² differ\nnow    %s\nbefore %s", b.code, diff, now, before)
	}
	for _, code := range []string{a.code, b.code} {
		for _, mode := range []boundary.Mode{boundary.Strict, boundary.Adjust} {
			g, version := parsed(`SELECT ST_AsGeoJSON(geom, 7), version FROM units WHERE code = $1`, code)
			out, err := svc.Replace(ctx, code, g, version, req(mode))
			if err != nil {
				t.Errorf("%s sent back unchanged, %v: %v", code, mode, err)
				continue
			}
			if r := decode(t, out); len(r.Changed) != 0 {
				t.Errorf("%s sent back unchanged, %v: changed %d grids", code, mode, len(r.Changed))
			}
		}
	}
	assertPartition(t, pool, comm)
}
