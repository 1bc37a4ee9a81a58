package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// TestPutStoredGridWithRepeatedVertex: a stored grid sent back unchanged
// but for a repeated consecutive vertex (valid in OGC and PostGIS; map
// editors and exports produce them) is the same shape: 200, no new version,
// and the answer warns that the repeat was dropped. It used to be refused.
func TestPutStoredGridWithRepeatedVertex(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[5]
	tok := editToken(t, base, "planner")
	g := communityGrids(t, pool, comm)[1]
	r := g.geom[0][0]
	rep := slices.Clone(r)
	rep = slices.Insert(rep, 2, rep[2]) // vertex 2 twice
	m := slices.Clone(g.geom)
	m[0] = append(orb.Polygon{rep}, g.geom[0][1:]...)
	for _, mode := range []string{"strict", "adjust"} {
		resp, body := do(t, "PUT", base+"/api/grids/"+g.code+"?mode="+mode, tok, putBody(m, g.version, "round trip"))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s, want 200", mode, resp.StatusCode, body[:min(len(body), 400)])
		}
		if !strings.Contains(string(body), `"repeated_vertex"`) || !strings.Contains(string(body), `"changed":[]`) {
			t.Errorf("%s: answer lacks the repeated_vertex warning or is not a no-op: %s", mode, body[:min(len(body), 600)])
		}
	}
	now := communityGrids(t, pool, comm)[1]
	if now.version != g.version || !orb.Equal(now.geom, g.geom) {
		t.Errorf("the grid changed: version %d → %d", g.version, now.version)
	}
}
