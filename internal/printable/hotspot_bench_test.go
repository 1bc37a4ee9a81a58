package printable_test

import (
	"encoding/json"
	"io"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/printable"
)

// bigReport: 10,000 hexagons of 125 m (a 100 × 100 lattice, a district of
// about 20 × 20 km), the classes cycling.
func bigReport() printable.HotspotReport {
	r := hotspotFixture()
	r.Cells = nil
	const size = 125.0 / 111320 // degrees, near enough
	for i := range 100 {
		for j := range 100 {
			cx, cy := 120+float64(i)*1.5*size, 30+(float64(j)+0.5*float64(i%2))*math.Sqrt(3)*size
			var ring orb.Ring
			for k := range 7 {
				a := float64(k%6) * math.Pi / 3
				ring = append(ring, orb.Point{cx + size*math.Cos(a), cy + size*math.Sin(a)})
			}
			r.Cells = append(r.Cells, printable.HotspotCell{Geom: orb.Polygon{ring}, Class: printable.HotspotClasses[(i*100+j)%7].Key})
		}
	}
	b := orb.Collection{}
	for _, c := range r.Cells {
		b = append(b, c.Geom)
	}
	bd := b.Bound()
	r.Outline = orb.MultiPolygon{bd.ToPolygon()}
	return r
}

// The reference is the same bins as the GeoJSON answer (encoding/json):
// what the API writes for the map on screen.
func BenchmarkHotspotReport(b *testing.B) {
	r := bigReport()
	if _, err := printable.Font(); err != nil {
		b.Skip(err)
	}
	b.Run("pdf", func(b *testing.B) {
		for b.Loop() {
			if err := printable.HotspotPDF(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("png", func(b *testing.B) {
		for b.Loop() {
			if err := printable.HotspotPNG(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("geojson-reference", func(b *testing.B) {
		for b.Loop() {
			fc := geojson.NewFeatureCollection()
			for _, c := range r.Cells {
				f := geojson.NewFeature(c.Geom)
				f.Properties["class"] = c.Class
				fc.Append(f)
			}
			if err := json.NewEncoder(io.Discard).Encode(fc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
