package hotspot

import (
	"math"
	"testing"
)

// TestMannKendall by hand: 1..6 rising gives S = 15 (all 15 pairs up),
// Var = 6·5·17/18 = 28.333…, z = (15 − 1)/√28.333 = 2.630147…, p = erfc(z/√2).
func TestMannKendall(t *testing.T) {
	z, p := MannKendall([]float64{1, 2, 3, 4, 5, 6})
	if want := 14 / math.Sqrt(6*5*17.0/18); math.Abs(z-want) > 1e-12 {
		t.Errorf("z = %v, want %v", z, want)
	}
	if math.Abs(p-0.008535) > 1e-5 {
		t.Errorf("p = %v, want ≈ 0.00854", p)
	}
	// 3 1 2: pairs (3,1) −, (3,2) −, (1,2) + → S = −1, z = 0.
	if z, p := MannKendall([]float64{3, 1, 2}); z != 0 || p != 1 {
		t.Errorf("S = −1: z %v p %v", z, p)
	}
	if z, _ := MannKendall([]float64{6, 5, 4, 3, 2, 1}); z >= 0 {
		t.Errorf("falling: z %v", z)
	}
}

func TestEmerging(t *testing.T) {
	rising := []float64{2, 2.5, 3, 3.5, 4, 5}
	cases := []struct {
		classes []Class
		zs      []float64
		want    Trend
	}{
		{[]Class{0, 0, 0, 0, 0, 3}, []float64{0, 0, 0, 0, 0, 4}, TrendNew},
		{[]Class{3, 3, 3, 3, 3, 3}, rising, TrendIntensifying},
		{[]Class{3, 3, 3, 3, 3, 2}, []float64{5, 4, 3.5, 3, 2.8, 2.6}, TrendDiminishing},
		{[]Class{3, 3, 3, 3, 3, 3}, []float64{4, 5, 4, 5, 4, 5}, TrendPersistent},
		{[]Class{3, 3, 3, 3, 3, 0}, rising, TrendNone}, // not hot now
		{[]Class{0, 3, 0, 3, 0, 3}, rising, TrendNone}, // hot half the time: sporadic, not classed here
		{[]Class{-3, -3, -3, -3, -3, -3}, rising, TrendNone},
		{nil, nil, TrendNone},
	}
	for i, c := range cases {
		if got := Emerging(c.classes, c.zs); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
	if TrendIntensifying.String() != "intensifying" || TrendNone.String() != "none" {
		t.Error("names")
	}
}
