package coverage

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// FuzzValidate feeds arbitrary GeoJSON FeatureCollections (members) to
// Validate, with the first member also used as parent, lon/lat and planar:
// it must never panic and every defect must carry a kind and a unit.
func FuzzValidate(f *testing.F) {
	seeds := []string{
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[2,2],[2,0],[0,2],[0,0]]]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,1],[3,1],[3,3],[1,1]]]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[0,0],[1,0],[1,1],[0,0]]]]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[0,0],[0,0]]]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[3,0],[3,3],[0,3],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]],[[5,5],[6,5],[6,6],[5,5]]]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2]]]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1e308,0],[1e308,1e308],[0,0]]]}},{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1.5,0],[1,0],[1,1],[0,0]]]}}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fc, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil || len(fc.Features) > 16 {
			return
		}
		var ms []orb.Geometry
		for _, ft := range fc.Features {
			if ft.Geometry == nil {
				continue
			}
			ms = append(ms, ft.Geometry)
		}
		var parent orb.Geometry
		if len(ms) > 0 {
			parent = ms[0]
		}
		for _, opt := range []Options{{}, {Planar: true, GapWidth: 0.1, Tolerance: 0.5}} {
			for _, p := range []orb.Geometry{nil, parent} {
				r := Validate(ms, p, opt)
				for _, d := range r.Defects {
					if d.Kind == "" || (d.Kind != InvalidGeometry && d.Unit == "") {
						t.Fatalf("defect without kind or unit: %+v", d)
					}
				}
			}
		}
		InvalidEdges(ms, 0.1)
		for _, g := range ms {
			CheckGeometry(g)
		}
	})
}
