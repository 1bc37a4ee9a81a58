package predicate_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"wangge/geo/predicate"
)

// Points computed on (or next to) random edges are the hard cases: the
// plain float determinant gets some signs wrong, Orient never does.
func TestOrientMatchesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	naiveWrong, exactZero := 0, 0
	for range 100000 {
		a := orb.Point{116 + rng.Float64(), 39 + rng.Float64()}
		b := orb.Point{a[0] + rng.Float64()*0.01, a[1] + rng.Float64()*0.01}
		tt := rng.Float64()
		c := orb.Point{a[0] + tt*(b[0]-a[0]), a[1] + tt*(b[1]-a[1])}
		if rng.IntN(4) == 0 {
			c[0] = math.Nextafter(c[0], math.Inf(1))
		}
		want := predicate.Exact(a, b, c)
		if got := predicate.Orient(a, b, c); got != want {
			t.Fatalf("Orient(%v, %v, %v) = %d, exact %d", a, b, c, got, want)
		}
		naive := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
		if (naive > 0 && want <= 0) || (naive < 0 && want >= 0) || (naive == 0 && want != 0) {
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
	o := orb.Point{0, 0}
	d := orb.Point{2, 2}
	if predicate.Orient(o, d, orb.Point{1, 1}) != 0 || predicate.Orient(o, d, orb.Point{1, 0}) != -1 || predicate.Orient(o, d, orb.Point{0, 1}) != 1 {
		t.Fatal("Orient wrong on simple cases")
	}
	if predicate.Exact(o, orb.Point{1, 1}, orb.Point{math.Inf(1), 0}) != 0 || predicate.Orient(o, orb.Point{1, 1}, orb.Point{math.NaN(), 0}) != 0 {
		t.Fatal("non-finite input not 0")
	}
}
