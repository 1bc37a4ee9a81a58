package coverage

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// starRing is the star polygon {n/(n-1)/2}: every edge crosses nearly every
// other, about n²/2 crossings, the ring the hardening issue sent.
func starRing(n int) orb.Polygon {
	if n%2 == 0 {
		n++
	}
	m := (n - 1) / 2
	r := make(orb.Ring, 0, n+1)
	for k := 0; k < n; k++ {
		a := 2 * math.Pi * float64(k*m%n) / float64(n)
		r = append(r, orb.Point{120 + 0.01*math.Cos(a), 30 + 0.01*math.Sin(a)})
	}
	return orb.Polygon{append(r, r[0])}
}

// serpentine is a valid ring of n vertices whose long edges all overlap in
// x: the worst case for the x sweep that does not stop early.
func serpentine(n int) orb.Polygon {
	teeth := n / 4
	var r orb.Ring
	for i := 0; i < teeth; i++ {
		y := float64(i)
		r = append(r, orb.Point{0, y}, orb.Point{10, y}, orb.Point{10, y + 0.5}, orb.Point{1, y + 0.5})
	}
	r = append(r, orb.Point{-1, float64(teeth)}, orb.Point{-1, 0})
	r = append(r, r[0])
	return orb.Polygon{r}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestCrossingRingBounded: a ring crossing itself ~n²/2 times gets one
// self-intersection defect, and the check allocates O(n) bytes (it used to
// allocate a message per crossing: ~10⁶ for n = 2,001).
func TestCrossingRingBounded(t *testing.T) {
	g := starRing(2001)
	var ds []Defect
	bytes := allocated(func() { ds = CheckGeometry(g) })
	if len(ds) == 0 || len(ds) > MaxDefects {
		t.Fatalf("%d defects, want 1..%d", len(ds), MaxDefects)
	}
	if !strings.Contains(ds[0].Message, "self-intersection") {
		t.Fatalf("first defect %q, want a self-intersection", ds[0].Message)
	}
	if limit := uint64(512 * len(g[0])); bytes > limit {
		t.Fatalf("check allocated %d bytes for %d vertices, want at most %d", bytes, len(g[0]), limit)
	}
}

// TestRandomRingsAgreeWithBruteForce: on random small rings (mostly
// self-crossing) CheckGeometry finds a self-intersection exactly when the
// all-pairs test does, and never more than MaxDefects defects.
func TestRandomRingsAgreeWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	crossing := 0
	for it := 0; it < 2000; it++ {
		n := 4 + rng.IntN(40)
		r := make(orb.Ring, 0, n+1)
		for range n {
			r = append(r, orb.Point{math.Round(rng.Float64()*1e4) / 1e4, math.Round(rng.Float64()*1e4) / 1e4})
		}
		r = append(r, r[0])
		pts := cleanRing(r)
		if len(pts) < 4 {
			continue
		}
		want := bruteSelfIntersects(pts)
		ds := CheckGeometry(orb.Polygon{r})
		got := false
		for _, d := range ds {
			got = got || strings.Contains(d.Message, "self-intersection")
		}
		if len(ds) > MaxDefects {
			t.Fatalf("%d defects", len(ds))
		}
		if got != want {
			t.Fatalf("ring %v: self-intersection reported %v, all-pairs test says %v", pts, got, want)
		}
		if want {
			crossing++
		}
	}
	if crossing < 1000 {
		t.Fatalf("only %d crossing rings generated", crossing)
	}
}

func bruteSelfIntersects(r []orb.Point) bool {
	n := len(r) - 1
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if d := j - i; d == 1 || d == n-1 {
				continue
			}
			if h, _ := intersect(r[i], r[i+1], r[j], r[j+1]); h != hitNone {
				return true
			}
		}
	}
	return false
}

// countingCtx is done after its Err has been asked `after` times.
type countingCtx struct {
	context.Context
	calls, after int
}

func (c *countingCtx) Err() error {
	c.calls++
	if c.calls > c.after {
		return context.DeadlineExceeded
	}
	return nil
}

// TestCheckGeometryStopsAtDeadline: a check whose context ends mid-way
// returns the context's error within ctxEvery more steps.
func TestCheckGeometryStopsAtDeadline(t *testing.T) {
	if _, err := CheckGeometryContext(func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}(), starRing(101)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err %v", err)
	}
	// A valid ring with all edges overlapping in x keeps the sweep busy.
	g := serpentine(20000)
	if ds := CheckGeometry(g); ds != nil {
		t.Fatalf("serpentine should be valid: %v", ds[0].Message)
	}
	ctx := &countingCtx{Context: context.Background(), after: 1}
	_, err := CheckGeometryContext(ctx, g)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if ctx.calls != ctx.after+1 {
		t.Fatalf("Err asked %d times after the deadline, want it to stop at the first", ctx.calls-ctx.after)
	}
}

// BenchmarkCheckCrossingRing checks hostile and worst-case rings of 19,999
// vertices (the API's limit is 20,000) next to a plain linear pass over the
// same ring (cleanRing + signed area) and next to the R-tree search alone
// (the check before the sweep), and reports the ratios: the "sun" ring has
// every edge box overlapping every other, so the R-tree tests ~n²/8 pairs
// while the sweep stays O(n log n).
func BenchmarkCheckCrossingRing(b *testing.B) {
	for _, c := range []struct {
		name string
		g    orb.Polygon
	}{{"star", starRing(19999)}, {"serpentine", serpentine(19999)}, {"sun", sunRing(19999)}} {
		var linear, tree float64
		b.Run(c.name+"/linear-reference", func(b *testing.B) {
			for b.Loop() {
				_ = signedArea2(cleanRing(c.g[0]))
			}
			linear = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(c.name+"/rtree-reference", func(b *testing.B) {
			for b.Loop() {
				rtreeMeet(&budget{ctx: context.Background()}, cleanRing(c.g[0]))
			}
			tree = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(c.name+"/CheckGeometry", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ds := CheckGeometry(c.g)
				if len(ds) > MaxDefects {
					b.Fatalf("%d defects", len(ds))
				}
			}
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if linear > 0 {
				b.ReportMetric(per/linear, "x-linear")
			}
			if tree > 0 {
				b.ReportMetric(per/tree, "x-rtree")
			}
		})
	}
}
