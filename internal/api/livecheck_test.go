package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// defectKey is what the live check and the save's check must agree on: the
// kind and the grids of each defect, with its size.
type defectKey struct {
	kind, codes string
	size        float64
}

func defectKeys(t *testing.T, fc *geojson.FeatureCollection) []defectKey {
	t.Helper()
	var out []defectKey
	for _, f := range fc.Features {
		var codes []string
		switch v := f.Properties["codes"].(type) {
		case string:
			codes = []string{v}
		case []any:
			for _, c := range v {
				codes = append(codes, fmt.Sprint(c))
			}
		}
		slices.Sort(codes)
		size, _ := f.Properties["size"].(float64)
		out = append(out, defectKey{fmt.Sprint(f.Properties["kind"]), fmt.Sprint(codes), size})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].kind != out[j].kind {
			return out[i].kind < out[j].kind
		}
		return out[i].codes < out[j].codes
	})
	return out
}

// movedVertex is g with vertex i of its first ring moved metres away from
// the ring's middle (negative: towards it).
func movedVertex(g orb.MultiPolygon, i int, metres float64) orb.MultiPolygon {
	out := orb.MultiPolygon{orb.Polygon{slices.Clone(g[0][0])}}
	out = append(out, g[1:]...)
	r := out[0][0]
	var mid orb.Point
	for _, p := range r[:len(r)-1] {
		mid[0] += p[0] / float64(len(r)-1)
		mid[1] += p[1] / float64(len(r)-1)
	}
	kx := 111320 * math.Cos(r[i][1]*math.Pi/180)
	dx, dy := (r[i][0]-mid[0])*kx, (r[i][1]-mid[1])*110540
	d := math.Hypot(dx, dy)
	p := orb.Point{r[i][0] + metres*dx/d/kx, r[i][1] + metres*dy/d/110540}
	r[i] = p
	if i == 0 {
		r[len(r)-1] = p
	}
	return out
}

// TestLiveCheckAgreesWithTheSave: the planner's live check (POST
// /api/grids/{code}/check, in memory) reports for a dragged vertex the
// overlaps and gaps the save's own check (the strict dry run, PostGIS in the
// edit's transaction) refuses, with the same kinds, grids and sizes; the
// stored shape has none; a crossing ring, another unit's planner, an officer
// and an unknown grid are refused; nothing is written.
func TestLiveCheckAgreesWithTheSave(t *testing.T) {
	base, pool := editServer(t)
	comm := editComm[4] // not parallel: read while no other test edits it
	tok := editToken(t, base, "planner")
	// A vertex 60 m or more from the community's boundary: moved 30 m, it stays inside.
	var code string
	var vertex int
	if err := pool.QueryRow(context.Background(), `
		SELECT u.code, (d).path[1] - 1 FROM units u JOIN units c ON c.code = u.parent_code,
		  ST_DumpPoints(ST_ExteriorRing(ST_GeometryN(u.geom, 1))) d
		WHERE u.level = 4 AND u.parent_code = $1 AND ST_NumGeometries(u.geom) = 1
		  AND NOT ST_DWithin((d).geom::geography, ST_Boundary(c.geom)::geography, 60)
		ORDER BY u.code, (d).path[1] LIMIT 1`, comm).Scan(&code, &vertex); err != nil {
		t.Fatal(err)
	}
	before := communityGrids(t, pool, comm)
	var g egrid
	for _, x := range before {
		if x.code == code {
			g = x
		}
	}
	check := func(who string, shape orb.Geometry) (int, []byte) {
		b, _ := json.Marshal(map[string]any{"geometry": geojson.NewGeometry(shape)})
		resp, body := do(t, "POST", base+"/api/grids/"+code+"/check", editToken(t, base, who), string(b))
		return resp.StatusCode, body
	}
	live := func(shape orb.Geometry) []defectKey {
		t.Helper()
		status, body := check("planner", shape)
		var r struct {
			Code, Community string
			Defects         *geojson.FeatureCollection
		}
		if status != 200 || json.Unmarshal(body, &r) != nil || r.Defects == nil || r.Code != code || r.Community != comm {
			t.Fatalf("live check: %d %.300s", status, body)
		}
		return defectKeys(t, r.Defects)
	}
	saved := func(shape orb.Geometry) []defectKey {
		t.Helper()
		resp, body := do(t, "PUT", fmt.Sprintf("%s/api/grids/%s?mode=strict&dry_run=true", base, code), tok, putBody(shape, g.version, "live"))
		if resp.StatusCode == 200 {
			return nil
		}
		var e struct {
			Error struct {
				Code    string
				Details *geojson.FeatureCollection
			}
		}
		if resp.StatusCode != 422 || json.Unmarshal(body, &e) != nil || e.Error.Code != "topology" || e.Error.Details == nil {
			t.Fatalf("dry run: %d %.300s", resp.StatusCode, body)
		}
		return defectKeys(t, e.Error.Details)
	}
	if d := live(g.geom); len(d) != 0 {
		t.Errorf("the stored shape has live defects: %v", d)
	}
	for _, metres := range []float64{30, -30} {
		shape := movedVertex(g.geom, vertex, metres)
		l, s := live(shape), saved(shape)
		if len(l) == 0 || len(l) != len(s) {
			t.Fatalf("vertex moved %+.0f m: live %v, the save's check %v", metres, l, s)
		}
		for i := range l {
			// An overlap names the two grids in both; a gap, live, every grid
			// around it, and in the save's check the neighbour an adjust would give it to.
			codes := l[i].codes == s[i].codes || l[i].kind == "gap" && strings.Contains(l[i].codes, strings.Trim(s[i].codes, "[]"))
			if l[i].kind != s[i].kind || !codes || math.Abs(l[i].size-s[i].size) > 0.01*s[i].size+0.5 {
				t.Errorf("vertex moved %+.0f m: live %v, the save's check %v", metres, l[i], s[i])
			}
			if !slices.Contains([]string{"overlap", "gap"}, l[i].kind) || (metres > 0) != (l[i].kind == "overlap") {
				t.Errorf("vertex moved %+.0f m: a %s", metres, l[i].kind)
			}
		}
	}
	// A ring crossing itself: the vertex dragged across the opposite side.
	r := g.geom[0][0]
	crossed := orb.Polygon{slices.Clone(r)}
	n := len(r) - 1
	crossed[0][1], crossed[0][n/2+1] = crossed[0][n/2+1], crossed[0][1]
	if status, body := check("planner", crossed); status != 400 {
		t.Errorf("crossing ring: %d %.300s, want 400", status, body)
	}
	for _, who := range []string{"officer", "planner2"} {
		if status, body := check(who, g.geom); status != 403 {
			t.Errorf("%s: %d %.200s, want 403", who, status, body)
		}
	}
	resp, body := do(t, "POST", base+"/api/grids/999999999999999/check", editToken(t, base, "admin"), `{"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`)
	wantError(t, "unknown grid", resp, body, 404, "not_found")
	after := communityGrids(t, pool, comm)
	for i := range before {
		if after[i].version != before[i].version {
			t.Errorf("%s: version %d → %d after live checks", before[i].code, before[i].version, after[i].version)
		}
	}
}
