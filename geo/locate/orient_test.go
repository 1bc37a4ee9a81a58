package locate

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// Points computed on (or next to) random edges are the hard cases: the
// plain float determinant gets some signs wrong, orient never does.
func TestOrientMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	naiveWrong, exactZero := 0, 0
	for range 100000 {
		lx, ly := 116+rng.Float64(), 39+rng.Float64()
		hx, hy := lx+rng.Float64()*0.01, ly+rng.Float64()*0.01
		tt := rng.Float64()
		x, y := lx+tt*(hx-lx), ly+tt*(hy-ly)
		if rng.IntN(4) == 0 {
			x = math.Nextafter(x, math.Inf(1))
		}
		want := sign(orientExact(lx, ly, hx, hy, x, y))
		if got := sign(orient(lx, ly, hx, hy, x, y)); got != want {
			t.Fatalf("orient(%v,%v,%v,%v,%v,%v) sign %d, exact %d", lx, ly, hx, hy, x, y, got, want)
		}
		if sign((hx-lx)*(y-ly)-(hy-ly)*(x-lx)) != want {
			naiveWrong++
		}
		if want == 0 {
			exactZero++
		}
	}
	t.Logf("naive float determinant wrong in %d cases; %d points exactly on their edge", naiveWrong, exactZero)
	if naiveWrong == 0 {
		t.Fatal("sample has no near-degenerate case; the test proves nothing")
	}
	// Degenerate and non-finite input.
	if orient(0, 0, 2, 2, 1, 1) != 0 || orient(0, 0, 2, 2, 1, 0) >= 0 || orient(0, 0, 2, 2, 0, 1) <= 0 {
		t.Fatal("orient wrong on simple cases")
	}
	if !math.IsNaN(orientExact(0, 0, 1, 1, math.Inf(1), 0)) {
		t.Fatal("orientExact with Inf not NaN")
	}
}

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
		o := sign(orientExact(a[0], a[1], b[0], b[1], p[0], p[1]))
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
