package boundary_test

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"wangge/internal/boundary"
	"wangge/internal/store"
)

// side reports on which side of the line p lies.
func side(l orb.LineString, p orb.Point) bool {
	a, b := l[0], l[1]
	return (b[0]-a[0])*(p[1]-a[1])-(b[1]-a[1])*(p[0]-a[0]) > 0
}

func TestProposeSplitHalvesHouseholds(t *testing.T) {
	t.Parallel()
	rect := func(w, h float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{120, 30}, {120 + w, 30}, {120 + w, 30 + h}, {120, 30 + h}, {120, 30}}}}
	}
	cases := []struct {
		name string
		geom orb.MultiPolygon
		n    int
	}{
		{"wide", rect(0.01, 0.003), 40},
		{"tall", rect(0.002, 0.008), 25},
		{"square", rect(0.004, 0.004), 60},
		{"two buildings", rect(0.004, 0.004), 2},
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for _, c := range cases {
		g := store.GridLoad{Code: "330199001001001", Geom: c.geom}
		b := c.geom.Bound()
		maxH := 0
		for i := 0; i < c.n; i++ {
			pt := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			h := 1 + rng.IntN(40)
			maxH = max(maxH, h)
			g.Buildings = append(g.Buildings, store.BuildingLoad{Pt: pt, Households: h})
			g.Households += h
		}
		p, ok := boundary.ProposeSplit(g)
		if !ok {
			t.Fatalf("%s: no proposal", c.name)
		}
		var left, right int
		for _, bl := range g.Buildings {
			if side(p.Line, bl.Pt) {
				left += bl.Households
			} else {
				right += bl.Households
			}
		}
		if left+right != g.Households || (left != p.Households[0] && left != p.Households[1]) {
			t.Errorf("%s: sides %d/%d, proposal says %v", c.name, left, right, p.Households)
		}
		if d := left - right; d > maxH || -d > maxH {
			t.Errorf("%s: %d vs %d households, imbalance above one building (%d)", c.name, left, right, maxH)
		}
		// The line crosses the grid from edge to edge: both ends outside it.
		for _, end := range p.Line {
			if planar.MultiPolygonContains(c.geom, end) {
				t.Errorf("%s: line end %v inside the grid", c.name, end)
			}
		}
	}
	if _, ok := boundary.ProposeSplit(store.GridLoad{Geom: rect(0.001, 0.001), Buildings: []store.BuildingLoad{{Pt: orb.Point{120.0005, 30.0005}, Households: 9}}}); ok {
		t.Error("a proposal for one building")
	}
}
