package hotspot

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// plantedCluster bins a uniform background (about 5 cases per 100 m hexagon
// over 6 × 6 km) and a disc of 300 m radius with ~45 per hexagon, then runs
// Gi* with the six touching hexagons as neighbours.
func plantedCluster(t *testing.T, seed uint64, clusterN int) (HexGrid, []Cell, Result) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	g := NewHexGrid(100, 120.0, 30.0)
	b := orb.Bound{Min: orb.Point{120.0, 30.0}, Max: orb.Point{120.062, 30.054}}
	cells := g.Covering(b)
	var lons, lats []float64
	for range 7500 {
		lons = append(lons, b.Min[0]+rng.Float64()*(b.Max[0]-b.Min[0]))
		lats = append(lats, b.Min[1]+rng.Float64()*(b.Max[1]-b.Min[1]))
	}
	ctr := clusterCentre(g, b)
	for range clusterN {
		r, a := 300*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		p := g.Unproject(Point{ctr.X + r*math.Cos(a), ctr.Y + r*math.Sin(a)})
		lons, lats = append(lons, p[0]), append(lats, p[1])
	}
	counts := g.Count(lons, lats)
	pts := make([]Point, len(cells))
	vals := make([]float64, len(cells))
	for i, c := range cells {
		pts[i], vals[i] = g.Centre(c), float64(counts[c])
	}
	w, err := DistanceBand(context.Background(), pts, 1.01*g.Spacing())
	if err != nil {
		t.Fatal(err)
	}
	res, err := GiStar(context.Background(), vals, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g, cells, res
}

func clusterCentre(g HexGrid, b orb.Bound) Point {
	return g.Project(b.Center()[0], b.Center()[1])
}

// TestPlantedCluster: over 40 seeds every hexagon lying wholly inside the
// cluster disc is hot at 99 % after the FDR correction, and no hexagon of the
// uniform area is flagged at any level. The uniform area is the hexagons
// whose whole neighbourhood is clear of the disc (centre farther than
// 300 m + one hexagon + one neighbour spacing): Gi* flags a bin by its
// neighbourhood, so the bins touching the cluster are rightly hot.
func TestPlantedCluster(t *testing.T) {
	for seed := range uint64(40) {
		g, cells, r := plantedCluster(t, seed, 600)
		if r.Insufficient != "" {
			t.Fatalf("seed %d: %s", seed, r.Insufficient)
		}
		ctr := clusterCentre(g, orb.Bound{Min: orb.Point{120.0, 30.0}, Max: orb.Point{120.062, 30.054}})
		inside := 0
		for i, c := range cells {
			p := g.Centre(c)
			d := math.Hypot(p.X-ctr.X, p.Y-ctr.Y)
			switch {
			case d+g.Size <= 300:
				inside++
				if r.Class[i] != 3 {
					t.Errorf("seed %d: cluster cell %v class %v (z %.2f p %.2g)", seed, c, r.Class[i], r.Z[i], r.P[i])
				}
			case d > 300+g.Size+1.01*g.Spacing():
				if r.Class[i] != 0 {
					t.Errorf("seed %d: uniform cell %v %.0f m out flagged %v (z %.2f p %.2g)", seed, c, d, r.Class[i], r.Z[i], r.P[i])
				}
			}
		}
		if inside < 5 {
			t.Fatalf("seed %d: only %d cells inside the cluster", seed, inside)
		}
	}
}

// TestUniformNoFalseHotspots: with no cluster, uncorrected p < 0.10 flags
// about a tenth of the bins (the multiple-comparison trap); after the FDR
// correction the whole map is clean in nearly every run (BH bounds the chance
// of any false discovery under the global null by α = 0.10).
func TestUniformNoFalseHotspots(t *testing.T) {
	const seeds = 30
	dirty, rawFlagged, bins := 0, 0, 0
	for seed := range uint64(seeds) {
		_, cells, r := plantedCluster(t, 1000+seed, 0)
		flagged := 0
		for _, c := range r.Class {
			if c != 0 {
				flagged++
			}
		}
		if flagged > 0 {
			dirty++
		}
		for _, p := range r.P {
			if p <= 0.10 {
				rawFlagged++
			}
		}
		bins += len(cells)
	}
	t.Logf("uniform maps with a flagged bin after FDR: %d of %d; raw p ≤ 0.10: %d of %d bins", dirty, seeds, rawFlagged, bins)
	if dirty > seeds/4 {
		t.Errorf("%d of %d uniform maps have a flagged bin after FDR", dirty, seeds)
	}
	if frac := float64(rawFlagged) / float64(bins); frac < 0.05 {
		t.Errorf("uncorrected p ≤ 0.10 flags %.3f of bins: the check above would prove nothing", frac)
	}
}
