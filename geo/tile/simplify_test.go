package tile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/simplify"
)

func TestDouglasPeuckerMatchesOrb(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var mask []bool
	var stack []int
	for i := range 2000 {
		n := 2 + rng.IntN(60)
		ls := make(orb.LineString, n)
		for j := range ls {
			ls[j] = orb.Point{math.Round(rng.Float64()*400) / 4, math.Round(rng.Float64()*400) / 4}
		}
		if i%3 == 0 { // closed ring, degenerate base segment
			ls[n-1] = ls[0]
		}
		tol := []float64{0.5, 2, 8, 30}[i%4]
		want := simplify.DouglasPeucker(tol).LineString(ls.Clone())
		got := douglasPeucker(ls.Clone(), tol, &mask, &stack)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("case %d tol %v:\n got %v\nwant %v", i, tol, got, want)
		}
	}
}
