package hotspot

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func randomPoints(seed uint64, n int) []Point {
	rng := rand.New(rand.NewPCG(seed, 1))
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{rng.Float64() * 5000, rng.Float64() * 5000}
	}
	return pts
}

func TestDistanceBandMatchesScan(t *testing.T) {
	pts := randomPoints(3, 800)
	w, err := DistanceBand(context.Background(), pts, 300)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pts {
		want := []int32{int32(i)}
		for j, q := range pts {
			if j != i && math.Hypot(p.X-q.X, p.Y-q.Y) <= 300 {
				want = append(want, int32(j))
			}
		}
		slices.Sort(want[1:])
		if got := w.Neighbours(i); !slices.Equal(got, want) {
			t.Fatalf("bin %d: %v, scan %v", i, got, want)
		}
	}
	if _, err := DistanceBand(context.Background(), pts, 0); err == nil {
		t.Error("band 0: want an error")
	}
	if _, err := DistanceBand(context.Background(), []Point{{math.NaN(), 0}}, 1); err == nil {
		t.Error("NaN centre: want an error")
	}
}

func TestKNearestMatchesScan(t *testing.T) {
	pts := randomPoints(4, 600)
	const k = 8
	w, err := KNearest(context.Background(), pts, k)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pts {
		others := make([]int32, 0, len(pts))
		for j := range pts {
			if j != i {
				others = append(others, int32(j))
			}
		}
		d := func(j int32) float64 { return math.Hypot(p.X-pts[j].X, p.Y-pts[j].Y) }
		sort.Slice(others, func(a, b int) bool { return d(others[a]) < d(others[b]) })
		want := append([]int32{int32(i)}, others[:k]...)
		slices.Sort(want[1:])
		if got := w.Neighbours(i); !slices.Equal(got, want) {
			t.Fatalf("bin %d: %v, scan %v", i, got, want)
		}
	}
	// Fewer bins than k+1: everyone neighbours everyone.
	w, _ = KNearest(context.Background(), pts[:3], k)
	if len(w.Neighbours(0)) != 3 {
		t.Errorf("3 bins, k=%d: %v", k, w.Neighbours(0))
	}
	if _, err := KNearest(context.Background(), pts, 0); err == nil {
		t.Error("k = 0: want an error")
	}
}
