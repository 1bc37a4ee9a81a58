package hotspot

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// BenchmarkCount1M bins a million points into 125 m hexagons over 20 × 20 km.
func BenchmarkCount1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	lons, lats := make([]float64, 1_000_000), make([]float64, 1_000_000)
	for i := range lons {
		lons[i], lats[i] = 120+rng.Float64()*0.207, 30+rng.Float64()*0.18
	}
	g := NewHexGrid(125, 120.1, 30.09)
	for b.Loop() {
		if len(g.Count(lons, lats)) < 9000 {
			b.Fatal("too few cells")
		}
	}
}

// BenchmarkGiStar10k: weights and Gi* over the 10,000 hexagons of that area.
func BenchmarkGiStar10k(b *testing.B) {
	g := NewHexGrid(125, 120.1, 30.09)
	cells := g.Covering(orb.Bound{Min: orb.Point{120, 30}, Max: orb.Point{120.207, 30.18}})
	rng := rand.New(rand.NewPCG(2, 2))
	pts, vals := make([]Point, len(cells)), make([]float64, len(cells))
	for i, c := range cells {
		pts[i], vals[i] = g.Centre(c), float64(rng.IntN(200))
	}
	ctx := context.Background()
	for b.Loop() {
		w, err := DistanceBand(ctx, pts, 1.01*g.Spacing())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := GiStar(ctx, vals, w, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
