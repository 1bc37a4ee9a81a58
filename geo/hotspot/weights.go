package hotspot

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/tidwall/rtree"
)

// Point is a bin's centre in metres on a local projection.
type Point struct{ X, Y float64 }

// Weights are binary spatial weights with the bin itself included (Gi*):
// the neighbours of bin i are Idx[Off[i]:Off[i+1]], i among them.
type Weights struct {
	Off []int32
	Idx []int32
}

// N is the number of bins.
func (w *Weights) N() int { return len(w.Off) - 1 }

// Neighbours returns bin i's neighbourhood (i included); the slice is shared.
func (w *Weights) Neighbours(i int) []int32 { return w.Idx[w.Off[i]:w.Off[i+1]] }

// maxBins bounds the inputs: weights of more bins than a city's hexagons at
// the finest served size are a caller's mistake, not a workload.
const maxBins = 4 << 20

// checkEvery is how many bins are processed between ctx checks.
const checkEvery = 1024

func index(pts []Point) *rtree.RTreeG[int32] {
	var tr rtree.RTreeG[int32]
	for i, p := range pts {
		tr.Insert([2]float64{p.X, p.Y}, [2]float64{p.X, p.Y}, int32(i))
	}
	return &tr
}

func checkPoints(pts []Point) error {
	if len(pts) > maxBins {
		return fmt.Errorf("hotspot: %d bins, at most %d", len(pts), maxBins)
	}
	for i, p := range pts {
		if math.IsNaN(p.X) || math.IsNaN(p.Y) || math.IsInf(p.X, 0) || math.IsInf(p.Y, 0) {
			return fmt.Errorf("hotspot: bin %d has no finite centre", i)
		}
	}
	return nil
}

// DistanceBand makes fixed-distance weights: j is a neighbour of i when
// their centres are at most d metres apart (i itself always). Neighbours are
// found through an R-tree: O(n log n) plus the neighbours found.
func DistanceBand(ctx context.Context, pts []Point, d float64) (*Weights, error) {
	if !(d > 0) || math.IsInf(d, 0) {
		return nil, fmt.Errorf("hotspot: distance band %v: want a positive distance", d)
	}
	if err := checkPoints(pts); err != nil {
		return nil, err
	}
	tr := index(pts)
	w := &Weights{Off: make([]int32, 1, len(pts)+1), Idx: make([]int32, 0, len(pts)*7)}
	d2 := d * d
	for i, p := range pts {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		start := len(w.Idx)
		w.Idx = append(w.Idx, int32(i))
		tr.Search([2]float64{p.X - d, p.Y - d}, [2]float64{p.X + d, p.Y + d}, func(mn, _ [2]float64, j int32) bool {
			dx, dy := mn[0]-p.X, mn[1]-p.Y
			if int(j) != i && dx*dx+dy*dy <= d2 {
				w.Idx = append(w.Idx, j)
			}
			return true
		})
		slices.Sort(w.Idx[start+1:])
		w.Off = append(w.Off, int32(len(w.Idx)))
	}
	return w, nil
}

// KNearest makes k-nearest-neighbour weights: each bin with its k nearest
// other bins (ties at the k-th distance broken by the R-tree's order). With
// fewer than k+1 bins every bin neighbours every other.
func KNearest(ctx context.Context, pts []Point, k int) (*Weights, error) {
	if k < 1 {
		return nil, fmt.Errorf("hotspot: k = %d: want at least 1", k)
	}
	if err := checkPoints(pts); err != nil {
		return nil, err
	}
	k = min(k, len(pts)-1)
	tr := index(pts)
	w := &Weights{Off: make([]int32, 1, len(pts)+1), Idx: make([]int32, 0, len(pts)*(k+1))}
	for i, p := range pts {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		start := len(w.Idx)
		w.Idx = append(w.Idx, int32(i))
		got := 0
		tr.Nearby(rtree.BoxDist[float64, int32]([2]float64{p.X, p.Y}, [2]float64{p.X, p.Y}, nil),
			func(_, _ [2]float64, j int32, _ float64) bool {
				if int(j) == i {
					return true
				}
				w.Idx = append(w.Idx, j)
				got++
				return got < k
			})
		slices.Sort(w.Idx[start+1:])
		w.Off = append(w.Off, int32(len(w.Idx)))
	}
	return w, nil
}
