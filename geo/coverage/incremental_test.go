package coverage

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// TestRevalidateMatchesFull edits one grid (a gap on one side, an overlap
// on another), revalidates incrementally and compares with a full run;
// reverting the edit must give a clean report again.
func TestRevalidateMatchesFull(t *testing.T) {
	for _, withParent := range []bool{false, true} {
		t.Run(fmt.Sprint("parent=", withParent), func(t *testing.T) {
			const n = 15
			ms := mesh(n, n, 7, false)
			var parent orb.Geometry
			if withParent {
				parent = meshParent(ms, n, n)
			}
			opt := Options{}
			v := NewValidator(ms, parent, opt)
			if len(v.Report().Defects) != 0 {
				t.Fatalf("mesh not clean: %v", summary(v.Report()))
			}
			const c = 7*n + 7
			edited := slices.Clone(ms)
			edited[c] = nudge(nudge(ms[c], 3, 0, 0.0002), 12, 0.0002, 0)
			v.Update(c, edited[c])
			got := summary(v.Revalidate([]int{c}))
			want := summary(Validate(edited, parent, opt))
			if !slices.Equal(got, want) {
				t.Errorf("incremental %v\nfull        %v", got, want)
			}
			kinds := map[string]bool{}
			for _, d := range v.Report().Defects {
				kinds[string(d.Kind)] = true
			}
			if !kinds["gap"] || !kinds["overlap"] || !kinds["invalid_edge"] {
				t.Errorf("edit should produce a gap, an overlap and invalid edges: %v", got)
			}
			v.Update(c, ms[c])
			if r := v.Revalidate([]int{c}); len(r.Defects) != 0 {
				t.Errorf("after revert: %v", summary(r))
			}
		})
	}
}

// TestRevalidateRandomEdits applies a sequence of random vertex moves,
// shared-vertex moves and removals, comparing every incremental report with
// a full validation of the same geometries.
func TestRevalidateRandomEdits(t *testing.T) {
	const n = 12
	ms := mesh(n, n, 5, true)
	cur := slices.Clone(ms)
	v := NewValidator(cur, nil, Options{Planar: true})
	rng := rand.New(rand.NewPCG(7, 7))
	for step := 0; step < 100; step++ {
		c := rng.IntN(len(cur))
		var changed []int
		switch rng.IntN(4) {
		case 0: // restore
			cur[c] = ms[c]
			changed = []int{c}
		case 1: // remove
			cur[c] = orb.Polygon{}
			changed = []int{c}
		default: // move one non-closing vertex
			r := cur[c].(orb.Polygon)
			if len(r) == 0 {
				cur[c] = ms[c]
			} else {
				vi := 1 + rng.IntN(len(r[0])-2)
				cur[c] = nudge(cur[c], vi, (rng.Float64()-0.5)*0.2, (rng.Float64()-0.5)*0.2)
			}
			changed = []int{c}
		}
		for _, i := range changed {
			v.Update(i, cur[i])
		}
		got := summary(v.Revalidate(changed))
		want := summary(Validate(cur, nil, Options{Planar: true}))
		if !slices.Equal(got, want) {
			t.Fatalf("step %d (member %d):\nincremental %v\nfull        %v", step, c, got, want)
		}
	}
}
