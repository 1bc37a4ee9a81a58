package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// The incremental re-check (DefectsNear, migration 000031) finds, for a
// change inside env, the defects the whole-community validator finds that
// name the changed grids; and nothing for a box away from every defect.
func TestDefectsNearAgreesWithTheFullCheck(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	ctx := context.Background()
	st := store.New(pool)
	// a grows over its neighbour b (an overlap); c shrinks (a gap).
	var a, b, c, comm string
	if err := pool.QueryRow(ctx, `SELECT a.code, b.code, a.parent_code FROM units a JOIN units b ON b.parent_code = a.parent_code AND a.code < b.code
		WHERE a.level = 4 AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))) > 0
		ORDER BY a.code, b.code LIMIT 1`).Scan(&a, &b, &comm); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE parent_code = $1 AND code NOT IN ($2, $3) ORDER BY code DESC LIMIT 1`, comm, a, b).Scan(&c); err != nil {
		t.Fatal(err)
	}
	before := map[string]orb.MultiPolygon{}
	gs, err := st.UnitGeoms(ctx, []string{a, c})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range gs {
		before[k] = v
	}
	if _, err := pool.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_Union(geom, ST_Buffer(ST_Intersection(ST_Boundary(geom),
		(SELECT ST_Boundary(geom) FROM units WHERE code = $2)), 0.0002))) WHERE code = $1`, a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_Buffer(geom, -0.0002, 'join=mitre')) WHERE code = $1`, c); err != nil {
		t.Fatal(err)
	}
	after, err := st.UnitGeoms(ctx, []string{a, c})
	if err != nil {
		t.Fatal(err)
	}
	env := before[a].Bound().Union(before[c].Bound()).Union(after[a].Bound()).Union(after[c].Bound())
	changed := []string{a, c}
	key := func(ds []store.SQLDefect) []string {
		var out []string
		for _, d := range ds {
			if slices.ContainsFunc(d.Codes, func(x string) bool { return slices.Contains(changed, x) }) {
				out = append(out, fmt.Sprintf("%s %s %.0f", d.Kind, strings.Join(d.Codes, ","), d.Size))
			}
		}
		slices.Sort(out)
		return out
	}
	full, err := st.Defects(ctx, comm, 1)
	if err != nil {
		t.Fatal(err)
	}
	near, err := st.DefectsNear(ctx, pool, comm, env, 1)
	if err != nil {
		t.Fatal(err)
	}
	kf, kn := key(full), key(near)
	if len(kf) < 2 || !slices.Equal(kf, kn) {
		t.Errorf("defects naming %v:\n full %v\n near %v", changed, kf, kn)
	}
	// Far from the change: nothing.
	far := orb.Bound{Min: orb.Point{env.Min[0] + 1, env.Min[1]}, Max: orb.Point{env.Max[0] + 1, env.Max[1]}}
	if ds, err := st.DefectsNear(ctx, pool, comm, far, 1); err != nil || len(ds) != 0 {
		t.Errorf("a box away from the change: %v %v", ds, err)
	}
}
