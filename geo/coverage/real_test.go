package coverage

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/testenv"
)

func loadFC(t testing.TB, rel string) *geojson.FeatureCollection {
	t.Helper()
	raw, err := os.ReadFile(testenv.SharedData(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

func geoms(fc *geojson.FeatureCollection) []orb.Geometry {
	out := make([]orb.Geometry, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = f.Geometry
	}
	return out
}

func sumSize(ds []Defect) (total, largest float64) {
	for _, d := range ds {
		total += d.Size
		largest = max(largest, d.Size)
	}
	return
}

func near(got, want, rel float64) bool { return math.Abs(got-want) <= rel*want }

// structuralInvalid lists the members with an invalid_geometry defect other
// than repeated points (which OGC/PostGIS count as valid).
func structuralInvalid(r Report) map[int][]Defect {
	out := map[int][]Defect{}
	for _, d := range r.Of(InvalidGeometry) {
		if !strings.Contains(d.Message, "repeated consecutive point") {
			out[d.Features[0]] = append(out[d.Features[0]], d)
		}
	}
	return out
}

// hasDefectNear tells whether one of ds is located within tol degrees of p.
func hasDefectNear(ds []Defect, p orb.Point, tol float64) bool {
	for _, d := range ds {
		if q, ok := d.Geometry.(orb.Point); ok && math.Abs(q[0]-p[0]) <= tol && math.Abs(q[1]-p[1]) <= tol {
			return true
		}
	}
	return false
}

// TestRealCoverages checks the defects measured with PostGIS (see each
// SOURCE.md): counts exactly, areas within 15 %.
func TestRealCoverages(t *testing.T) {
	type want struct {
		file                 string
		invalid              map[string]orb.Point // name/adcode → defect location (NaN: anywhere)
		overlaps             int
		overlapM2, largestM2 float64
		gaps                 int
		gapM2                float64
		gapNear              orb.Point
	}
	nan := orb.Point{math.NaN(), math.NaN()}
	cases := []want{
		{file: "neighborhoods-click-that-hood/toronto.geojson", invalid: map[string]orb.Point{"Niagara": {-79.415596, 43.627029}},
			overlaps: 5, overlapM2: 6.2, largestM2: 3.73, gaps: 10, gapM2: 3.4},
		{file: "neighborhoods-click-that-hood/berlin.geojson", overlaps: 1, overlapM2: 19.1, largestM2: 19.1, gaps: 2, gapM2: 2.8, gapNear: orb.Point{13.2909, 52.4940}},
		{file: "neighborhoods-click-that-hood/seattle.geojson", gaps: 2, gapM2: 379},
		{file: "china-datav-admin/beijing_110000_districts.json", invalid: map[string]orb.Point{"110113": {116.610061, 40.031214}}},
		{file: "china-datav-admin/zhejiang_330000_cities.json", invalid: map[string]orb.Point{"330200": nan, "330900": nan}},
		{file: "china-datav-admin/hangzhou_330100_districts.json"},
		{file: "china-datav-admin/shanghai_310000_districts.json"},
		{file: "china-datav-admin/shenzhen_440300_districts.json"},
		{file: "chicago-tracts-buildings/tracts.geojson", gaps: 1, gapM2: 6.84e6},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			fc := loadFC(t, c.file)
			r := Validate(geoms(fc), nil, Options{})
			name := func(i int) string {
				p := fc.Features[i].Properties
				if a, ok := p["adcode"]; ok {
					return fmt.Sprint(a)
				}
				return fmt.Sprint(p["name"])
			}
			inv := structuralInvalid(r)
			if len(inv) != len(c.invalid) {
				t.Errorf("invalid members: got %d, want %d", len(inv), len(c.invalid))
			}
			for i, ds := range inv {
				at, ok := c.invalid[name(i)]
				if !ok {
					t.Errorf("unexpected invalid member %d (%s): %s", i, name(i), ds[0].Message)
					continue
				}
				if !math.IsNaN(at[0]) && !hasDefectNear(ds, at, 1e-6) {
					t.Errorf("member %s: no defect at %v", name(i), at)
				}
			}
			ov := r.Of(Overlap)
			if len(ov) != c.overlaps {
				t.Errorf("overlaps: got %d, want %d", len(ov), c.overlaps)
			}
			if c.overlaps > 0 {
				tot, big := sumSize(ov)
				if !near(tot, c.overlapM2, 0.15) || !near(big, c.largestM2, 0.15) {
					t.Errorf("overlap m²: total %.2f largest %.2f, want %.2f / %.2f", tot, big, c.overlapM2, c.largestM2)
				}
			}
			gaps := r.Of(Gap)
			if len(gaps) != c.gaps {
				t.Errorf("gaps: got %d, want %d", len(gaps), c.gaps)
			}
			if c.gaps > 0 {
				if tot, _ := sumSize(gaps); !near(tot, c.gapM2, 0.15) {
					t.Errorf("gap m²: total %.2f, want %.2f", tot, c.gapM2)
				}
			}
			if c.gapNear != (orb.Point{}) {
				for _, g := range gaps {
					// within about a kilometre
					if b := g.Geometry.Bound().Pad(0.01); !b.Contains(c.gapNear) {
						t.Errorf("gap %v not near %v", g.Geometry.Bound(), c.gapNear)
					}
				}
			}
			if r.Count(OutsideParent) != 0 || r.Count(Sliver) != 0 {
				t.Errorf("no parent, no tolerance: got outside/sliver defects")
			}
			for _, d := range r.Defects {
				if d.Kind == InvalidEdge && len(ov) == 0 && len(inv) == 0 {
					t.Errorf("invalid edge in a coverage without overlaps: %v", d.Features)
				}
			}
		})
	}
}

// TestChicagoEnclave: the Norridge/Harwood Heights enclave is a hole of the
// union of the 801 tracts; with a parent that has the hole it is no gap,
// with a parent that lacks it the enclave is the one gap.
func TestChicagoEnclave(t *testing.T) {
	ms := geoms(loadFC(t, "chicago-tracts-buildings/tracts.geojson"))
	u, err := Union(ms)
	if err != nil {
		t.Fatal(err)
	}
	holes := 0
	var filled orb.MultiPolygon
	for _, p := range u {
		holes += len(p) - 1
		filled = append(filled, orb.Polygon{p[0]})
	}
	if holes != 1 {
		t.Fatalf("union has %d holes, want 1", holes)
	}
	r := Validate(ms, u, Options{})
	if len(r.Defects) != 0 {
		t.Errorf("parent with the enclave as a hole: %d defects, first %+v", len(r.Defects), r.Defects[0])
	}
	r = Validate(ms, filled, Options{})
	gaps := r.Of(Gap)
	if len(gaps) != 1 || !near(gaps[0].Size, 6.84e6, 0.05) || len(r.Defects) != 1 {
		t.Errorf("parent without the hole: %d defects, gaps %d", len(r.Defects), len(gaps))
	}
}

// TestSliverTolerance: Toronto's overlaps and gaps are all under 0.2 m
// wide, so a 0.5 m tolerance turns every one into a sliver.
func TestSliverTolerance(t *testing.T) {
	r := Validate(geoms(loadFC(t, "neighborhoods-click-that-hood/toronto.geojson")), nil, Options{Tolerance: 0.5})
	if r.Count(Overlap) != 0 || r.Count(Gap) != 0 || r.Count(Sliver) != 15 {
		t.Errorf("overlap %d gap %d sliver %d, want 0/0/15", r.Count(Overlap), r.Count(Gap), r.Count(Sliver))
	}
}

// TestGapWidthMetres: lon/lat squares 0.5 m apart are flagged with a 1 m
// gap width and not with 0.1 m.
func TestGapWidthMetres(t *testing.T) {
	kx, _ := metresPerDegree(30)
	d := 0.5 / kx
	ms := []orb.Geometry{sq(120, 30, 120.001, 30.001), sq(120.001+d, 30, 120.002, 30.001)}
	if n := Validate(ms, nil, Options{GapWidth: 1}).Count(InvalidEdge); n != 2 {
		t.Errorf("gap width 1 m: %d invalid edges, want 2", n)
	}
	if n := Validate(ms, nil, Options{GapWidth: 0.1}).Count(InvalidEdge); n != 0 {
		t.Errorf("gap width 0.1 m: %d invalid edges, want 0", n)
	}
}

// TestAreaAgainstGeodesic compares the ellipsoidal area of a 0.01° cell
// with its closed form on the ellipsoid (M·N·cosφ·dφ·dλ).
func TestAreaAgainstGeodesic(t *testing.T) {
	for _, lat := range []float64{0, 30, 43.6, 60} {
		kx, ky := metresPerDegree(lat + 0.005)
		want := kx * ky * 0.01 * 0.01
		got := polygonArea(sq(120, lat, 120.01, lat+0.01), false)
		if math.Abs(got-want) > 1e-6*want {
			t.Errorf("lat %v: area %.3f, want %.3f", lat, got, want)
		}
	}
}
