package crs

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// Reference values published by the coordtransform library
// (github.com/wandergis/coordtransform README and tests).
func TestPublishedReferencePairs(t *testing.T) {
	tests := []struct {
		name string
		f    func(orb.Point) orb.Point
		in   orb.Point
		want orb.Point
		tol  float64
	}{
		{"wgs84->gcj02", WGS84ToGCJ02, orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}, 1e-12},
		{"gcj02->bd09", GCJ02ToBD09, orb.Point{116.404, 39.915}, orb.Point{116.41036949371029, 39.92133699351021}, 1e-12},
		// The published bd09->gcj02 and gcj02->wgs84 results come from
		// one-step approximations: ours reproduce them exactly, and the
		// iterative inverses differ from them by their approximation error
		// (~5e-7°, a few cm here) while being exact round trips.
		{"bd09->gcj02 one-step", bd09ToGCJ02Approx, orb.Point{116.404, 39.915}, orb.Point{116.39762729119315, 39.90865673957631}, 1e-12},
		{"gcj02->wgs84 one-step", gcj02ToWGS84OneStep, orb.Point{116.404, 39.915}, orb.Point{116.39775550083061, 39.91359571849836}, 1e-12},
		{"bd09->gcj02", BD09ToGCJ02, orb.Point{116.404, 39.915}, orb.Point{116.39762729119315, 39.90865673957631}, 1e-6},
		{"gcj02->wgs84", GCJ02ToWGS84, orb.Point{116.404, 39.915}, orb.Point{116.39775550083061, 39.91359571849836}, 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f(tt.in)
			if math.Abs(got[0]-tt.want[0]) > tt.tol || math.Abs(got[1]-tt.want[1]) > tt.tol {
				t.Fatalf("%v -> %v, want %v (tol %g)", tt.in, got, tt.want, tt.tol)
			}
		})
	}
}

// gcj02ToWGS84OneStep is the common one-step approximation w = 2g - f(g).
func gcj02ToWGS84OneStep(g orb.Point) orb.Point {
	f := WGS84ToGCJ02(g)
	return orb.Point{2*g[0] - f[0], 2*g[1] - f[1]}
}

// The published inverse pairs must be consistent with the forward maps:
// forward(inverse(p)) returns p to 1e-12° (the one-step formulas do not).
func TestInverseConsistentWithForward(t *testing.T) {
	p := orb.Point{116.404, 39.915}
	if got := WGS84ToGCJ02(GCJ02ToWGS84(p)); dist(got, p) > 1e-12 {
		t.Errorf("gcj02 forward(inverse) = %v, want %v", got, p)
	}
	if got := GCJ02ToBD09(BD09ToGCJ02(p)); dist(got, p) > 1e-12 {
		t.Errorf("bd09 forward(inverse) = %v, want %v", got, p)
	}
	// The one-step approximations are measurably worse, which is why we
	// iterate.
	if got := GCJ02ToBD09(bd09ToGCJ02Approx(p)); dist(got, p) < 1e-9 {
		t.Errorf("one-step bd09 inverse unexpectedly exact: %v", got)
	}
	if got := WGS84ToGCJ02(gcj02ToWGS84OneStep(p)); dist(got, p) < 1e-9 {
		t.Errorf("one-step gcj02 inverse unexpectedly exact: %v", got)
	}
}

func TestOutsideChinaUnchanged(t *testing.T) {
	pts := []orb.Point{
		{-87.65, 41.85}, // Chicago
		{2.35, 48.85},   // Paris
		{139.69, 35.68}, // Tokyo (east of the box)
		{116.4, 60},     // north of the box
		{116.4, -10},    // south
		{0, 0},
		{180, 90},
		{-180, -90},
	}
	for _, p := range pts {
		for name, f := range map[string]func(orb.Point) orb.Point{
			"WGS84ToGCJ02": WGS84ToGCJ02, "GCJ02ToWGS84": GCJ02ToWGS84,
		} {
			if got := f(p); got != p {
				t.Errorf("%s(%v) = %v, want unchanged", name, p, got)
			}
		}
		// BD-09 is GCJ-02 plus Baidu's own shift, which applies everywhere;
		// outside China the round trip is still exact (away from the poles and
		// the antimeridian, where the shift leaves the valid range).
		if math.Abs(p[1]) < 85 && math.Abs(p[0]) < 179 {
			if got := BD09ToWGS84(WGS84ToBD09(p)); dist(got, p) > 1e-9 {
				t.Errorf("bd09 round trip outside China %v -> %v", p, got)
			}
		}
	}
}

func TestNonGeographicInputUnchanged(t *testing.T) {
	pts := []orb.Point{{math.NaN(), 30}, {math.Inf(1), 30}, {116, math.Inf(-1)}, {1e300, 1e300}, {200, 40}}
	for _, p := range pts {
		for name, f := range map[string]func(orb.Point) orb.Point{
			"WGS84ToGCJ02": WGS84ToGCJ02, "GCJ02ToWGS84": GCJ02ToWGS84,
			"GCJ02ToBD09": GCJ02ToBD09, "BD09ToGCJ02": BD09ToGCJ02,
			"WGS84ToBD09": WGS84ToBD09, "BD09ToWGS84": BD09ToWGS84,
		} {
			got := f(p)
			if !(got == p || (math.IsNaN(p[0]) && math.IsNaN(got[0]) && got[1] == p[1])) {
				t.Errorf("%s(%v) = %v, want unchanged", name, p, got)
			}
		}
	}
}

// metres returns a generous-enough equirectangular distance in metres.
func metres(a, b orb.Point) float64 {
	const mPerDeg = 111320.0
	dx := (a[0] - b[0]) * mPerDeg * math.Cos(a[1]*math.Pi/180)
	dy := (a[1] - b[1]) * mPerDeg
	return math.Hypot(dx, dy)
}

func dist(a, b orb.Point) float64 { return math.Max(math.Abs(a[0]-b[0]), math.Abs(a[1]-b[1])) }

// Dense property test: round trips over random points of the China box stay
// under 1 mm (in practice ~1e-8 m).
func TestRoundTripChinaProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 7))
	const n = 200000
	var worstGCJ, worstBD, worstOffset, worstOneStep float64
	for range n {
		p := orb.Point{73 + rng.Float64()*62, 3 + rng.Float64()*50}
		g := WGS84ToGCJ02(p)
		if off := metres(g, p); off > worstOffset {
			worstOffset = off
		}
		if d := metres(GCJ02ToWGS84(g), p); d > worstGCJ {
			worstGCJ = d
		}
		if d := metres(gcj02ToWGS84OneStep(g), p); d > worstOneStep {
			worstOneStep = d
		}
		if d := metres(BD09ToWGS84(WGS84ToBD09(p)), p); d > worstBD {
			worstBD = d
		}
	}
	t.Logf("worst round trip: gcj02 %.3g m, bd09 %.3g m (one-step gcj02 inverse: %.3g m); largest gcj02 offset %.0f m",
		worstGCJ, worstBD, worstOneStep, worstOffset)
	if worstGCJ > 1e-3 || worstBD > 1e-3 {
		t.Fatalf("round trip error over 1 mm: gcj02 %g m, bd09 %g m", worstGCJ, worstBD)
	}
	// The offset is real: hundreds of metres somewhere in China.
	if worstOffset < 100 {
		t.Fatalf("largest GCJ-02 offset %g m; formula looks inert", worstOffset)
	}
}

// The inverse from the GCJ side: any GCJ point maps to a WGS point whose
// forward image is that GCJ point (the inverse is a right inverse).
func TestInverseFromGCJSideProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(99, 1))
	for range 100000 {
		g := orb.Point{74 + rng.Float64()*60, 4 + rng.Float64()*50}
		w := GCJ02ToWGS84(g)
		if !InChina(w) {
			continue // forward map is identity outside the box
		}
		if d := metres(WGS84ToGCJ02(w), g); d > 1e-3 {
			t.Fatalf("GCJ02ToWGS84(%v) = %v, forward = %v (%g m)", g, w, WGS84ToGCJ02(w), d)
		}
		b := orb.Point{74 + rng.Float64()*60, 4 + rng.Float64()*50}
		if d := metres(WGS84ToBD09(BD09ToWGS84(b)), b); d > 1e-3 && InChina(BD09ToGCJ02(b)) {
			t.Fatalf("bd09 %v: forward(inverse) off by %g m", b, d)
		}
	}
}

func TestToFromWGS84(t *testing.T) {
	p := orb.Point{121.4737, 31.2304} // Shanghai
	for _, sys := range []System{WGS84, CGCS2000, GCJ02, BD09} {
		q := FromWGS84(sys, p)
		if (sys == WGS84 || sys == CGCS2000) != (q == p) {
			t.Errorf("FromWGS84(%s) = %v (input %v)", sys, q, p)
		}
		if back := ToWGS84(sys, q); metres(back, p) > 1e-3 {
			t.Errorf("ToWGS84(%s, FromWGS84) = %v, want %v", sys, back, p)
		}
	}
	if got := FromWGS84(GCJ02, p); got != WGS84ToGCJ02(p) {
		t.Errorf("FromWGS84(GCJ02) != WGS84ToGCJ02")
	}
	if got := ToWGS84(BD09, p); got != BD09ToWGS84(p) {
		t.Errorf("ToWGS84(BD09) != BD09ToWGS84")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want System
		ok   bool
	}{
		{"wgs84", WGS84, true}, {"WGS-84", WGS84, true}, {"EPSG:4326", WGS84, true}, {" 4326 ", WGS84, true},
		{"gcj02", GCJ02, true}, {"GCJ-02", GCJ02, true},
		{"bd09", BD09, true}, {"BD-09", BD09, true}, {"bd09ll", BD09, true},
		{"cgcs2000", CGCS2000, true}, {"EPSG:4490", CGCS2000, true},
		{"", "", false}, {"epsg:3857", "", false}, {"bd09mc", "", false}, {"gcj", "", false},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzInverse(f *testing.F) {
	f.Add(116.404, 39.915)
	f.Add(72.004, 0.8293)
	f.Add(137.8347, 55.8271)
	f.Add(-87.6, 41.8)
	f.Add(0.0, 0.0)
	f.Fuzz(func(t *testing.T, lon, lat float64) {
		p := orb.Point{lon, lat}
		for name, inv := range map[string]func(orb.Point) orb.Point{"gcj02": GCJ02ToWGS84, "bd09": BD09ToWGS84} {
			w := inv(p)
			if finiteLonLat(p) && (math.IsNaN(w[0]) || math.IsNaN(w[1]) || math.IsInf(w[0], 0) || math.IsInf(w[1], 0)) {
				t.Fatalf("%s inverse(%v) = %v", name, p, w)
			}
		}
		if !finiteLonLat(p) {
			return
		}
		if InChina(p) && InChina(WGS84ToGCJ02(p)) {
			if d := metres(GCJ02ToWGS84(WGS84ToGCJ02(p)), p); d > 1e-3 {
				t.Fatalf("gcj02 round trip %v off by %g m", p, d)
			}
		}
		// Away from the poles and the antimeridian (where BD-09's shift leaves
		// the valid range) and from the China box edge (where GCJ-02 is not
		// one-to-one, so no inverse can recover p) the bd09 round trip holds.
		if math.Abs(lat) < 85 && math.Abs(lon) < 179 && !nearChinaEdge(p) {
			if d := metres(BD09ToWGS84(WGS84ToBD09(p)), p); d > 1e-3 {
				t.Fatalf("bd09 round trip %v off by %g m", p, d)
			}
		}
	})
}

// nearChinaEdge reports whether p is within 0.02° (~2 km, more than the
// largest offset) of the InChina box edge.
func nearChinaEdge(p orb.Point) bool {
	const m = 0.02
	inner := p[0] >= 72.004+m && p[0] <= 137.8347-m && p[1] >= 0.8293+m && p[1] <= 55.8271-m
	outer := p[0] >= 72.004-m && p[0] <= 137.8347+m && p[1] >= 0.8293-m && p[1] <= 55.8271+m
	return outer && !inner
}

var sink orb.Point

func BenchmarkConvert(b *testing.B) {
	p := orb.Point{116.404, 39.915}
	for _, bc := range []struct {
		name string
		f    func(orb.Point) orb.Point
	}{
		{"WGS84ToGCJ02", WGS84ToGCJ02}, {"GCJ02ToWGS84", GCJ02ToWGS84},
		{"GCJ02ToBD09", GCJ02ToBD09}, {"BD09ToGCJ02", BD09ToGCJ02},
		{"WGS84ToBD09", WGS84ToBD09}, {"BD09ToWGS84", BD09ToWGS84},
		{"BD09ToGCJ02OneStep", bd09ToGCJ02Approx},
		{"GCJ02ToWGS84OneStep", gcj02ToWGS84OneStep},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				sink = bc.f(p)
			}
		})
	}
}
