package tile

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile/mvtdecode"
)

// TestWinding: orb's mvt.Marshal writes rings in whatever order they come
// (so a GeoJSON counter-clockwise exterior, flipped by the y-down projection,
// becomes a "hole" to decoders); Encode writes exteriors with positive area
// in tile coordinates whatever the input winding.
func TestWinding(t *testing.T) {
	tl := maptile.New(13660, 6750, 14)
	c := tl.Center()
	for _, cw := range []bool{false, true} {
		ring := square(c[0], c[1], 0.001, cw)
		l := NewLayer(Spec{Name: "grids"})
		if err := l.Replace([]Feature{{ID: 1, Geometry: orb.Polygon{ring, square(c[0]+0.0003, c[1]+0.0003, 0.0002, !cw)}}}); err != nil {
			t.Fatal(err)
		}
		ls := encodeOne(t, []*Layer{l}, tl)
		p := ls[0].Features[0].Geometry.(orb.Polygon)
		if len(p) != 2 || p[0].Orientation() != orb.CCW || p[1].Orientation() != orb.CW {
			// orb's Orientation is the surveyor's sign: CCW = positive area.
			t.Fatalf("cw input %v: rings %v %v", cw, p[0].Orientation(), p[1].Orientation())
		}

		fc := geojson.NewFeatureCollection()
		fc.Append(geojson.NewFeature(orb.Polygon{ring.Clone()}))
		layers := mvt.NewLayers(map[string]*geojson.FeatureCollection{"grids": fc})
		layers.ProjectToTile(tl)
		data, err := mvt.Marshal(layers)
		if err != nil {
			t.Fatal(err)
		}
		_, strictErr := mvtdecode.DecodeStrict(data)
		if (strictErr == nil) != cw {
			t.Fatalf("orb.Marshal of cw=%v ring: strict decode error %v", cw, strictErr)
		}
	}
}
