package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/tile"
	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/internal/tilecache"
	"wangge/static"
)

// onGrid reports whether x is the double nearest a multiple of 1e-7 (what
// 7-decimal GeoJSON parses to), the storage grid of migration 000030.
func onGrid(x float64) bool { return x == math.Round(x*1e7)/1e7 }

// offGridVertex returns the first vertex of g off the 1e-7° grid.
func offGridVertex(g orb.MultiPolygon) (orb.Point, bool) {
	for _, p := range g {
		for _, r := range p {
			for _, q := range r {
				if !onGrid(q[0]) || !onGrid(q[1]) {
					return q, true
				}
			}
		}
	}
	return orb.Point{}, false
}

// noisy moves every vertex by a few 1e-9° (less than half the grid), the
// same way for equal vertices.
func noisy(g orb.MultiPolygon) orb.MultiPolygon {
	out := orb.MultiPolygon{}
	for _, p := range g {
		np := orb.Polygon{}
		for _, r := range p {
			nr := orb.Ring{}
			for _, q := range r {
				nr = append(nr, orb.Point{q[0] + 3.3e-9, q[1] - 2.7e-9})
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

// An edit and a split sent with coordinates off the 1e-7° grid (1e-9
// noise, and the split's computed intersection points) are stored on it:
// read back from the database and the API, every coordinate is a 7-decimal
// value, and the community's coverage stays free of gaps and overlaps.
func TestEditsAreStoredOnTheGrid(t *testing.T) {
	t.Parallel()
	// A district of its own: the shared edit district's communities are
	// each some other test's.
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1, Password: demoPassword})
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	t.Cleanup(srv.Close)
	base, comm := srv.URL, firstCommunityOf(t, pool)
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"planner","password":"`+demoPassword+`"}`)
	var login struct{ Token string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &login) != nil {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	tok := login.Token
	a, _, g := movablePair(t, communityGrids(t, pool, comm), true)
	resp, body = do(t, "PUT", base+"/api/grids/"+a.code+"?mode=adjust", tok, putBody(noisy(g), a.version, "noisy edit"))
	if resp.StatusCode != 200 {
		t.Fatalf("adjust: %d %s", resp.StatusCode, body)
	}
	var r editReply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Changed {
		if c.After != nil {
			if q, off := offGridVertex(c.After.Geometry().(orb.MultiPolygon)); off {
				t.Errorf("answer: %s changed to a vertex off the grid %v", c.Code, q)
			}
		}
	}

	// Split another grid along a noisy line through its middle: the cut
	// points are computed, not sent.
	var target egrid
	for _, x := range communityGrids(t, pool, comm) {
		if x.code != a.code && x.kind == "basic" {
			target = x
			break
		}
	}
	b := target.geom.Bound()
	y := b.Center()[1] + 1.1e-9
	line := geojson.NewGeometry(orb.LineString{{b.Min[0] - 1e-5 + 4e-9, y}, {b.Max[0] + 1e-5, y + 1e-6 + 3e-9}})
	lb, _ := json.Marshal(line)
	resp, body = do(t, "POST", base+"/api/grids/"+target.code+"/split?mode=strict", tok,
		`{"line":`+string(lb)+`,"version":`+fmt.Sprint(target.version)+`,"reason":"noisy split"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("split: %d %s", resp.StatusCode, body)
	}

	for _, x := range communityGrids(t, pool, comm) {
		if q, off := offGridVertex(x.geom); off {
			t.Errorf("stored: grid %s has a vertex off the grid %v", x.code, q)
		}
	}
	var versionsOff int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM unit_versions v, ST_DumpPoints(v.geom) p
		WHERE v.parent_code = $1 AND (ST_X(p.geom) <> round(ST_X(p.geom)::numeric, 7)::float8
		   OR ST_Y(p.geom) <> round(ST_Y(p.geom)::numeric, 7)::float8)`, comm).Scan(&versionsOff); err != nil {
		t.Fatal(err)
	}
	if versionsOff != 0 {
		t.Errorf("unit_versions: %d vertices off the grid", versionsOff)
	}
	fc := getGeoJSON(t, base+"/api/grids?level=grid&parent="+comm, tok)
	for _, f := range fc.Features {
		if q, off := offGridVertex(f.Geometry.(orb.MultiPolygon)); off {
			t.Errorf("API: grid %v has a vertex off the grid %v", f.Properties["code"], q)
		}
	}
	assertValid(t, base, tok, pool, comm)
}

// A saved edit is answered after this instance's tile cache dropped the
// tiles it touched (mapdata.Sync), so the planner's one refetch right
// after the answer gets the new tiles.
func TestSaveIsAnsweredAfterTheTilePurge(t *testing.T) {
	t.Parallel()
	base, pool, svc := freshServer(t)
	tok := tokenFor2(t, base, "planner")
	a, _, g := movablePair(t, communityGrids(t, pool, firstCommunityOf(t, pool)), true)
	var keys []tilecache.Key
	for tl := range tile.TilesCovering(a.geom.Bound(), 15, 15, tile.Options{}) {
		if resp, _ := getTile(t, base+tilePath("grids", tl), tok, nil); resp.StatusCode != 200 {
			t.Fatalf("tile %v: %d", tl, resp.StatusCode)
		}
		keys = append(keys, tilecache.Key{Layer: "grids", Z: uint8(tl.Z), X: tl.X, Y: tl.Y})
	}
	for _, k := range keys {
		if _, ok := svc.Cache().Get(k); !ok {
			t.Fatalf("tile %v not cached before the edit", k)
		}
	}
	resp, body := do(t, "PUT", base+"/api/grids/"+a.code+"?mode=adjust", tok, putBody(g, a.version, "moved"))
	if resp.StatusCode != 200 {
		t.Fatalf("adjust: %d %s", resp.StatusCode, body)
	}
	for _, k := range keys {
		if _, ok := svc.Cache().Get(k); ok {
			t.Errorf("tile %v still cached when the save was answered", k)
		}
	}
}
