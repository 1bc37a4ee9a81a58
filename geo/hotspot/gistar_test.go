package hotspot

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// line puts bins 1 m apart on the x axis.
func line(n int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{float64(i), 0}
	}
	return pts
}

// TestGiStarHandWorked checks five bins in a row, values 1 2 3 4 10, with a
// 1 m distance band, against z-scores worked by hand:
//
//	n = 5, X̄ = 20/5 = 4, Σx² = 130, S = √(130/5 − 16) = √10.
//	Neighbourhoods (self included): {0,1} {0,1,2} {1,2,3} {2,3,4} {3,4}.
//	Binary weights: denominator S·√((n·W − W²)/(n − 1)):
//	  W = 2: √10·√(6/4) = √15;  W = 3: √10·√(6/4) = √15.
//	Numerators Σwx − X̄·W: 3−8 = −5, 6−12 = −6, 9−12 = −3, 17−12 = 5, 14−8 = 6.
//
// so z = (−5, −6, −3, 5, 6)/√15.
func TestGiStarHandWorked(t *testing.T) {
	w, err := DistanceBand(context.Background(), line(5), 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := GiStar(context.Background(), []float64{1, 2, 3, 4, 10}, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-5, -6, -3, 5, 6}
	for i := range want {
		want[i] /= math.Sqrt(15)
		if math.Abs(r.Z[i]-want[i]) > 1e-9 {
			t.Errorf("z[%d] = %.12f, want %.12f", i, r.Z[i], want[i])
		}
		// p by hand for the largest: z = 6/√15 = 1.549193…, two-sided p = erfc(z/√2).
		if p := math.Erfc(math.Abs(want[i]) / math.Sqrt2); math.Abs(r.P[i]-p) > 1e-12 {
			t.Errorf("p[%d] = %v, want %v", i, r.P[i], p)
		}
	}
	if math.Abs(r.P[4]-0.12133) > 5e-5 { // normal table: 2·(1 − Φ(1.5492)) ≈ 0.1213
		t.Errorf("p[4] = %v, want ≈ 0.1213", r.P[4])
	}
	if r.Insufficient == "" {
		t.Error("5 bins and 20 cases: want no significance claimed")
	}
	for i, c := range r.Class {
		if c != 0 {
			t.Errorf("class[%d] = %v with too few bins", i, c)
		}
	}
}

// pysalZ is an independent, straightforward Gi* in PySAL's ratio form:
// G = Σwx/Σx, E[G] = W/n, Var[G] = W(n−W)/(n−1) · s²/(n·X̄)², z = (G−E)/√Var,
// with neighbours found by an O(n²) scan.
func pysalZ(pts []Point, x []float64, d float64) []float64 {
	n := float64(len(x))
	var sum, sum2 float64
	for _, v := range x {
		sum += v
		sum2 += v * v
	}
	mean := sum / n
	s2 := sum2/n - mean*mean
	z := make([]float64, len(x))
	for i := range pts {
		var wx, w float64
		for j := range pts {
			if math.Hypot(pts[i].X-pts[j].X, pts[i].Y-pts[j].Y) <= d {
				wx += x[j]
				w++
			}
		}
		g := wx / sum
		eg := w / n
		vg := w * (n - w) / (n - 1) * s2 / (n * mean * n * mean)
		z[i] = (g - eg) / math.Sqrt(vg)
	}
	return z
}

func TestGiStarMatchesRatioForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	pts := make([]Point, 300)
	x := make([]float64, len(pts))
	for i := range pts {
		pts[i] = Point{rng.Float64() * 1000, rng.Float64() * 1000}
		x[i] = float64(rng.IntN(20))
	}
	w, err := DistanceBand(context.Background(), pts, 120)
	if err != nil {
		t.Fatal(err)
	}
	r, err := GiStar(context.Background(), x, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := pysalZ(pts, x, 120)
	for i := range want {
		if math.Abs(r.Z[i]-want[i]) > 1e-9 {
			t.Fatalf("z[%d] = %.12f, ratio form %.12f", i, r.Z[i], want[i])
		}
	}
}

func TestGiStarEdgeCases(t *testing.T) {
	ctx := context.Background()
	w, _ := DistanceBand(ctx, line(1), 1)
	r, err := GiStar(ctx, []float64{7}, w, Options{})
	if err != nil || r.Insufficient == "" || r.Z[0] != 0 || r.P[0] != 1 || r.Class[0] != 0 {
		t.Errorf("one bin: %+v, %v", r, err)
	}
	w, _ = DistanceBand(ctx, line(100), 1.5)
	eq := make([]float64, 100)
	for i := range eq {
		eq[i] = 4
	}
	r, err = GiStar(ctx, eq, w, Options{})
	if err != nil || r.Insufficient == "" {
		t.Fatalf("all equal: %q, %v", r.Insufficient, err)
	}
	for i := range eq {
		if r.Z[i] != 0 || r.P[i] != 1 || r.Class[i] != 0 {
			t.Fatalf("all equal: bin %d z %v p %v class %v", i, r.Z[i], r.P[i], r.Class[i])
		}
	}
	// 100 bins but 29 cases, all in one place: no claim however extreme the z.
	few := make([]float64, 100)
	few[50] = 29
	r, _ = GiStar(ctx, few, w, Options{})
	if r.Insufficient == "" || r.Class[50] != 0 || r.Z[50] < 3 {
		t.Errorf("29 cases: insufficient %q class %v z %v", r.Insufficient, r.Class[50], r.Z[50])
	}
	few[50] = 30
	r, _ = GiStar(ctx, few, w, Options{})
	if r.Insufficient != "" || r.Class[50] != 3 {
		t.Errorf("30 cases in one bin: insufficient %q class %v", r.Insufficient, r.Class[50])
	}
	if _, err := GiStar(ctx, []float64{1, -1}, w, Options{}); err == nil {
		t.Error("mismatched weights: want an error")
	}
	w2, _ := DistanceBand(ctx, line(2), 1)
	if _, err := GiStar(ctx, []float64{1, math.NaN()}, w2, Options{}); err == nil {
		t.Error("NaN value: want an error")
	}
	// A neighbourhood of every bin has no contrast: z 0, p 1.
	w3, _ := DistanceBand(ctx, line(40), 100)
	vals := make([]float64, 40)
	for i := range vals {
		vals[i] = float64(i)
	}
	r, _ = GiStar(ctx, vals, w3, Options{})
	if r.Z[3] != 0 || r.P[3] != 1 {
		t.Errorf("whole-area neighbourhood: z %v p %v", r.Z[3], r.P[3])
	}
}

func TestGiStarCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DistanceBand(ctx, line(10), 1); err == nil {
		t.Error("DistanceBand: want ctx error")
	}
	if _, err := KNearest(ctx, line(10), 2); err == nil {
		t.Error("KNearest: want ctx error")
	}
	w, _ := DistanceBand(context.Background(), line(10), 1)
	if _, err := GiStar(ctx, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, w, Options{}); err == nil {
		t.Error("GiStar: want ctx error")
	}
}

// TestBHThreshold: ten p-values by hand at α = 0.05 (critical k·0.005):
// sorted 0.001 0.004 0.012 0.019 0.03 0.2 … ; k=4: 0.019 ≤ 0.020 yes,
// k=5: 0.03 > 0.025, k≥6 far above, so the threshold is 0.019 (four
// discoveries) although 0.03 alone would pass an uncorrected 0.05.
func TestBHThreshold(t *testing.T) {
	p := []float64{0.2, 0.012, 0.9, 0.03, 0.001, 0.5, 0.019, 0.7, 0.004, 0.35}
	if got := BHThreshold(p, 0.05); got != 0.019 {
		t.Errorf("threshold = %v, want 0.019", got)
	}
	if got := BHThreshold([]float64{0.5, 0.9}, 0.05); got != -1 {
		t.Errorf("no discovery: %v", got)
	}
	// Step-up: a larger p can rescue smaller ones (k=3: 0.03 ≤ 0.03).
	if got := BHThreshold([]float64{0.02, 0.025, 0.03}, 0.03); got != 0.03 {
		t.Errorf("step-up: %v", got)
	}
}

func TestClassString(t *testing.T) {
	want := map[Class]string{3: "hot99", 2: "hot95", 1: "hot90", 0: "none", -1: "cold90", -2: "cold95", -3: "cold99"}
	for c, s := range want {
		if c.String() != s {
			t.Errorf("%d: %s, want %s", c, c.String(), s)
		}
	}
}
