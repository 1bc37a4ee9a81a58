package locate

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"wangge/geo/predicate"
)

// A point exactly on a diagonal shared edge (per exact arithmetic) goes to
// the smaller code; a point one ulp off goes to the cell it is really in.
func TestDiagonalSharedEdgeExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	checked, onEdge := 0, 0
	for checked < 200 {
		a := orb.Point{116 + rng.Float64(), 39 + rng.Float64()}
		b := orb.Point{a[0] + 0.001 + rng.Float64()*0.01, a[1] + 0.001 + rng.Float64()*0.01}
		tt := rng.Float64()
		p := orb.Point{a[0] + tt*(b[0]-a[0]), a[1] + tt*(b[1]-a[1])}
		if checked%2 == 0 {
			// Exactly collinear: dyadic steps are exact in float64.
			step := orb.Point{float64(1+rng.IntN(50)) / 4096, float64(1+rng.IntN(50)) / 4096}
			k := 2 + rng.IntN(5)
			a = orb.Point{116 + float64(rng.IntN(4096))/4096, 39 + float64(rng.IntN(4096))/4096}
			b = orb.Point{a[0] + float64(k)*step[0], a[1] + float64(k)*step[1]}
			j := 1 + rng.IntN(k-1)
			p = orb.Point{a[0] + float64(j)*step[0], a[1] + float64(j)*step[1]}
		}
		o := predicate.Exact(a, b, p)
		// "L" is left of a→b (above the diagonal), "R" right of it.
		idx := New([]Cell{
			{"L", orb.MultiPolygon{{orb.Ring{a, b, {a[0], b[1]}, a}}}},
			{"R", orb.MultiPolygon{{orb.Ring{a, {b[0], a[1]}, b, a}}}},
		})
		want := map[int]string{1: "L", -1: "R", 0: "L"}[o]
		if got, _ := idx.Locate(p); got != want {
			t.Fatalf("a=%v b=%v p=%v exact side %d: got %q, want %q", a, b, p, o, got, want)
		}
		checked++
		if o == 0 {
			onEdge++
		}
	}
	if onEdge < 50 {
		t.Fatalf("only %d exactly-on-edge points tested", onEdge)
	}
}
