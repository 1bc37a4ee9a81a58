package mapdata_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile/mvtdecode"
	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/mapdata"
	"wangge/internal/store"
)

// A defect in the tiles names its grids as every defect answer does
// (grid.Defect): "codes", with the community as "parent_code".
func TestDefectTilesNameGridsByCodes(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	hub := &changes.Hub{}
	svc := mapdata.New(store.New(pool), mapdata.Options{Changes: hub})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// Grid a grows over its neighbour b: an overlap of the two.
	var a, b, comm string
	var x, y float64
	if err := pool.QueryRow(ctx, `SELECT a.code, b.code, a.parent_code, ST_X(ST_PointOnSurface(b.geom)), ST_Y(ST_PointOnSurface(b.geom))
		FROM units a JOIN units b ON b.parent_code = a.parent_code AND a.code < b.code
		WHERE a.level = 4 AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))) > 0
		ORDER BY a.code, b.code LIMIT 1`).Scan(&a, &b, &comm, &x, &y); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_Union(geom, (SELECT geom FROM units WHERE code = $2))) WHERE code = $1`, a, b); err != nil {
		t.Fatal(err)
	}
	n := svc.Applied()
	hub.Publish(changes.Event{Op: "update", Code: a, Level: 4})
	if err := svc.WaitApplied(ctx, n+1); err != nil {
		t.Fatal(err)
	}
	tl := maptile.At([2]float64{x, y}, 14)
	entry, err := svc.Tile(ctx, "defects", 14, int(tl.X), int(tl.Y))
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvtdecode.Decode(entry.Data)
	if err != nil || len(ls) != 1 {
		t.Fatalf("defects tile: %v, %d layers", err, len(ls))
	}
	found := false
	for _, f := range ls[0].Features {
		if _, ok := f.Properties["grids"]; ok {
			t.Errorf("defect feature still has a grids property: %v", f.Properties)
		}
		codes, _ := f.Properties["codes"].(string)
		if f.Properties["kind"] == "overlap" {
			found = true
			if got := strings.Split(codes, ","); !slices.Contains(got, a) || !slices.Contains(got, b) {
				t.Errorf("overlap codes %q, want %s and %s", codes, a, b)
			}
			if f.Properties["parent_code"] != comm || f.Properties["level"] != "grid" {
				t.Errorf("overlap properties %v, want parent_code %s, level grid", f.Properties, comm)
			}
		}
	}
	if !found {
		t.Errorf("no overlap in the defects tile over %s", b)
	}
}
