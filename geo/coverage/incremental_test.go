package coverage

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func summary(r Report) []string {
	var out []string
	for _, d := range r.Defects {
		out = append(out, fmt.Sprintf("%s %v %.6g", d.Kind, d.Features, d.Size))
	}
	slices.Sort(out)
	return out
}

func TestMeshIsClean(t *testing.T) {
	for _, planar := range []bool{true, false} {
		ms := mesh(12, 9, 7, planar)
		parent := meshParent(ms, 12, 9)
		for _, p := range []orb.Geometry{nil, parent} {
			r := Validate(ms, p, Options{Planar: planar, GapWidth: 0.01})
			if len(r.Defects) != 0 {
				t.Errorf("planar=%v parent=%v: %v", planar, p != nil, summary(r))
			}
			if want := polygonArea(parent, planar); math.Abs(r.Area-want) > 1e-9*want {
				t.Errorf("area %v, want %v", r.Area, want)
			}
		}
	}
}
