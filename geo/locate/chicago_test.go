package locate

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"wangge/internal/testenv"
)

func readFeatures(t *testing.T, path string) []*geojson.Feature {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return fc.Features
}

func chicagoTracts(t *testing.T) []Cell {
	dir := testenv.SharedData(t, "chicago-tracts-buildings")
	var cells []Cell
	for _, f := range readFeatures(t, filepath.Join(dir, "tracts.geojson")) {
		var mp orb.MultiPolygon
		switch g := f.Geometry.(type) {
		case orb.MultiPolygon:
			mp = g
		case orb.Polygon:
			mp = orb.MultiPolygon{g}
		default:
			t.Fatalf("tract %v: geometry %T", f.Properties["geoid10"], g)
		}
		cells = append(cells, Cell{Code: f.Properties.MustString("geoid10"), Geometry: mp})
	}
	if len(cells) != 801 {
		t.Fatalf("read %d tracts, SOURCE.md says 801", len(cells))
	}
	return cells
}

// Real data: every building footprint of tract 2303 (its first vertex and
// its area centroid) and every vacant-building 311 report of tract 2307
// locates to that tract, and agrees with the brute-force oracle.
func TestChicagoTracts(t *testing.T) {
	cells := chicagoTracts(t)
	dir := testenv.SharedData(t, "chicago-tracts-buildings")
	idx := New(cells)
	o := newOracle(cells)

	buildings := readFeatures(t, filepath.Join(dir, "buildings", "2303.geojson"))
	if len(buildings) != 216 {
		t.Fatalf("read %d buildings, SOURCE.md says 216", len(buildings))
	}
	for _, f := range buildings {
		var poly orb.Polygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			poly = g
		case orb.MultiPolygon:
			poly = g[0]
		default:
			t.Fatalf("building geometry %T", g)
		}
		for _, p := range []orb.Point{poly[0][0], centroid(poly[0])} {
			r := idx.Lookup(p)
			if !r.Found || r.Code != "17031230300" {
				t.Fatalf("building point %v located to %+v, want 17031230300", p, r)
			}
			if want, _ := o.locate(p); want != r.Code {
				t.Fatalf("oracle says %q for %v", want, p)
			}
		}
	}

	reports := readFeatures(t, filepath.Join(dir, "vacant311", "2307.geojson"))
	if len(reports) != 181 {
		t.Fatalf("read %d 311 reports, SOURCE.md says 181", len(reports))
	}
	for _, f := range reports {
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			t.Fatalf("311 geometry %T", f.Geometry)
		}
		if got, ok := idx.Locate(p); !ok || got != "17031230700" {
			t.Fatalf("311 report %v located to %q, want 17031230700", p, got)
		}
	}

	// A point in the Norridge/Harwood Heights enclave (the hole in
	// Chicago's outline, see SOURCE.md) is in no tract; the nearest tract
	// and distance match a brute-force scan of every tract.
	norridge := orb.Point{-87.82, 41.96}
	r := idx.Lookup(norridge)
	if want, _ := o.locate(norridge); r.Found || want != "" {
		t.Fatalf("Norridge point located: %+v (oracle %q)", r, want)
	}
	kx, ky := metresPerDegree(norridge[1])
	best, bestCode := math.Inf(1), ""
	for _, c := range cells {
		g := c.Geometry.Clone()
		for _, poly := range g {
			for _, ring := range poly {
				for k := range ring {
					ring[k] = orb.Point{(ring[k][0] - norridge[0]) * kx, (ring[k][1] - norridge[1]) * ky}
				}
			}
		}
		if d := planar.DistanceFrom(g, orb.Point{}); d < best {
			best, bestCode = d, c.Code
		}
	}
	if r.NearestCode != bestCode || math.Abs(r.NearestDistanceM-best) > 1e-6 || best < 100 {
		t.Fatalf("Norridge nearest %s %g m, brute force %s %g m", r.NearestCode, r.NearestDistanceM, bestCode, best)
	}
}

// centroid is the area centroid of a simple ring.
func centroid(r orb.Ring) orb.Point {
	var a, cx, cy float64
	for i := 0; i+1 < len(r); i++ {
		x0, y0 := r[i][0]-r[0][0], r[i][1]-r[0][1]
		x1, y1 := r[i+1][0]-r[0][0], r[i+1][1]-r[0][1]
		cross := x0*y1 - x1*y0
		a += cross
		cx += (x0 + x1) * cross
		cy += (y0 + y1) * cross
	}
	return orb.Point{r[0][0] + cx/(3*a), r[0][1] + cy/(3*a)}
}
