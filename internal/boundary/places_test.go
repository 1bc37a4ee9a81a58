package boundary_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/geo/coverage"
	"wangge/geo/precision"
	"wangge/internal/boundary"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// An organisation (a place) in the area a boundary edit moves from grid b
// to grid a follows it to a, with its open hazard; one elsewhere in b stays.
func TestBoundaryMoveReassignsPlaces(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: -1})
	st := store.New(pool)
	svc := boundary.New(st, boundary.Options{})
	ctx := context.Background()
	comm := firstCommunity(t, pool)
	gs := loadGrids(t, pool, comm)
	a, b, v := neighbours(t, gs)
	var target orb.Point
	var edited orb.MultiPolygon
	for _, m := range []float64{40, 25, 15, 8, 4} {
		target = precision.Point(toward(v, centroid(b.geom), m))
		if edited = moveVertex(a.geom, v, target); coverage.CheckGeometry(edited) == nil {
			break
		}
	}
	// A point of the area the edit takes from b (in b now, in a after).
	var mid orb.Point
	if err := pool.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Intersection(geom, ST_GeomFromWKB($2, 4326))) AS p
        FROM units WHERE code = $1) x`, b.code, wkb.Value(edited)).Scan(&mid[0], &mid[1]); err != nil {
		t.Fatal(err)
	}
	mid = precision.Point(mid)
	var moving, staying int64
	if err := pool.QueryRow(ctx, `INSERT INTO places (grid_code, kind, name, pt, region_code, phone)
        VALUES ($1, 'enterprise', '边界企业', ST_SetSRID(ST_MakePoint($2, $3), 4326), left($1, 6), '13800001111') RETURNING id`,
		b.code, mid[0], mid[1]).Scan(&moving); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `INSERT INTO places (grid_code, kind, name, pt, region_code)
        VALUES ($1, 'fire_hydrant', '消火栓', ST_PointOnSurface((SELECT geom FROM units WHERE code = $1)), left($1, 6)) RETURNING id`,
		b.code).Scan(&staying); err != nil {
		t.Fatal(err)
	}
	// An open hazard of the moving place, found by an inspection.
	if _, err := pool.Exec(ctx, `
        WITH i AS (INSERT INTO inspections (id, request_hash, place_id, template_code, template_version, inspector_name,
                       inspected_at, pt, distance_m, far, passed, results, region_code)
             SELECT gen_random_uuid(), '\x00', $1, 'enterprise.workshop', 1, 'x', now(), pt, 0, false, false, '[]', region_code
               FROM places WHERE id = $1 RETURNING id, region_code)
        INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, found_at, deadline, region_code)
        SELECT i.id, $1, $2, 'exits_clear', '安全出口畅通', 'major', now(), now() + interval '2 days', i.region_code FROM i`, moving, b.code); err != nil {
		t.Fatal(err)
	}

	out, err := svc.Replace(ctx, a.code, edited, a.version, req(boundary.Adjust))
	if err != nil {
		t.Fatal(err)
	}
	var now string
	pool.QueryRow(ctx, `SELECT min(code) FROM units WHERE level = 4 AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`, mid[0], mid[1]).Scan(&now)
	t.Logf("after the edit the point is in %s", now)
	if r := decode(t, out); r.Moved.Places < 1 {
		t.Errorf("moved %+v, want the place counted", r.Moved)
	}
	grid := func(id int64) string {
		var g string
		if err := pool.QueryRow(ctx, `SELECT grid_code FROM places WHERE id = $1`, id).Scan(&g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	if g := grid(moving); g != a.code {
		t.Errorf("the place in the moved area is in %s, want %s", g, a.code)
	}
	if g := grid(staying); g != b.code {
		t.Errorf("the place elsewhere in b moved to %s", g)
	}
	var hz string
	pool.QueryRow(ctx, `SELECT grid_code FROM hazards WHERE place_id = $1`, moving).Scan(&hz)
	if hz != a.code {
		t.Errorf("the place's hazard is in %s, want %s (it follows its place)", hz, a.code)
	}
	// Every place is in the grid its point is in, by the lookup's rule.
	var wrong int
	pool.QueryRow(ctx, `SELECT count(*) FROM places p WHERE p.grid_code <> (SELECT min(code) FROM units u
        WHERE u.level = 4 AND ST_Intersects(u.geom, p.pt))`).Scan(&wrong)
	if wrong != 0 {
		t.Errorf("%d places outside the grid holding their point", wrong)
	}
}
