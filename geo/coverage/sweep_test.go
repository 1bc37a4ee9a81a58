package coverage

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/paulmach/orb"
)

// sunRing is a valid ring of about n vertices whose edges' boxes all
// overlap: a comb tilted by 45°, its long teeth parallel and packed close,
// so every edge box meets every other one and the R-tree tests ~n²/8 pairs.
func sunRing(n int) orb.Polygon {
	p := serpentine(n)
	c, s := math.Cos(math.Pi/4), math.Sin(math.Pi/4)
	teeth := float64(n / 4)
	out := make(orb.Ring, len(p[0]))
	for i, q := range p[0] {
		x, y := q[0], q[1]/teeth // the comb is 10 wide and 1 high
		out[i] = orb.Point{x*c - y*s, x*s + y*c}
	}
	return orb.Polygon{out}
}

func hasSpike(r []orb.Point) bool {
	n := len(r) - 1
	for i := range n {
		a, b, c := r[(i+n-1)%n], r[i], r[i+1]
		if orient(a, b, c) == 0 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0 {
			return true
		}
	}
	return false
}

// TestSweepAgreesWithBruteForce: on random rings — small lattices full of
// shared vertices, collinear edges and touches, real-valued points, and
// valid star-shaped rings — the sweep finds two meeting edges exactly when
// the all-pairs test does.
func TestSweepAgreesWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	bg := &budget{ctx: context.Background()}
	valid, meeting := 0, 0
	for it := 0; it < 30000; it++ {
		n := 3 + rng.IntN(12)
		var r orb.Ring
		switch it % 3 {
		case 0: // lattice
			k := 3 + rng.IntN(5)
			for range n {
				r = append(r, orb.Point{float64(rng.IntN(k)), float64(rng.IntN(k))})
			}
		case 1: // star-shaped around the origin: mostly valid, some touching
			angles := make([]float64, n)
			for i := range angles {
				angles[i] = float64(rng.IntN(16)) * math.Pi / 8
			}
			sort.Float64s(angles)
			for _, a := range angles {
				rad := float64(1 + rng.IntN(3))
				r = append(r, orb.Point{math.Round(rad*math.Cos(a)*4) / 4, math.Round(rad*math.Sin(a)*4) / 4})
			}
		default:
			for range n {
				r = append(r, orb.Point{rng.Float64(), rng.Float64()})
			}
		}
		r = append(r, r[0])
		pts := cleanRing(r)
		if len(pts) < 4 || hasSpike(pts) {
			continue
		}
		want := bruteSelfIntersects(pts)
		if got := sweepMeets(bg, pts); got != want {
			t.Fatalf("ring %v: sweep says %v, all-pairs test %v", pts, got, want)
		}
		if want {
			meeting++
		} else {
			valid++
		}
	}
	if valid < 1000 || meeting < 1000 {
		t.Fatalf("%d valid and %d meeting rings generated", valid, meeting)
	}
	for _, c := range []struct {
		g    orb.Polygon
		want bool
	}{{sunRing(2000), false}, {serpentine(2000), false}, {starRing(2001), true}} {
		if got := sweepMeets(bg, cleanRing(c.g[0])); got != c.want {
			t.Errorf("%d-vertex ring: sweep says %v, want %v", len(c.g[0]), got, c.want)
		}
		if _, got := rtreeMeet(bg, cleanRing(c.g[0])); got != c.want {
			t.Errorf("%d-vertex ring: R-tree search says %v, want %v", len(c.g[0]), got, c.want)
		}
		if ds := CheckGeometry(c.g); (ds != nil) != c.want {
			t.Errorf("%d-vertex ring: CheckGeometry %v, want invalid %v", len(c.g[0]), ds, c.want)
		}
	}
}
