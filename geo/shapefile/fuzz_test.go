package shapefile_test

import (
	"bytes"
	"testing"

	"github.com/paulmach/orb"

	"wangge/geo/shapefile"
)

// seedLayer is a small valid layer: a square with a hole, a multipolygon and
// attributes in Chinese.
func seedLayer() *shapefile.Layer {
	return &shapefile.Layer{
		Fields: []shapefile.Field{{Name: "code"}, {Name: "name"}},
		Features: []shapefile.Feature{
			{Geometry: orb.Polygon{{{0, 0}, {0, 4}, {4, 4}, {4, 0}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}}}, Values: []string{"330199001001001", "春晖社区第1网格"}},
			{Geometry: orb.MultiPolygon{{{{5, 0}, {5, 1}, {6, 1}, {6, 0}, {5, 0}}}, {{{7, 0}, {7, 1}, {8, 1}, {8, 0}, {7, 0}}}}, Values: []string{"330199001001002", "飞地"}},
		},
	}
}

// Whatever bytes arrive as .shp/.dbf, Read answers with a consistent layer
// or an error, and never panics or hangs.
func FuzzRead(f *testing.F) {
	files, err := seedLayer().Files("g")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(files["g.shp"], files["g.dbf"], "UTF-8")
	f.Add(files["g.shp"][:100], files["g.dbf"], "")
	f.Add([]byte{}, []byte{}, "GBK")
	f.Fuzz(func(t *testing.T, shp, dbf []byte, cpg string) {
		l, err := shapefile.Read(shp, dbf, cpg, "")
		if err != nil {
			return
		}
		for i, ft := range l.Features {
			if len(ft.Values) != len(l.Fields) {
				t.Fatalf("feature %d has %d values for %d fields", i, len(ft.Values), len(l.Fields))
			}
		}
	})
}

// The same for a zipped upload.
func FuzzReadZip(f *testing.F) {
	var zipped bytes.Buffer
	if err := seedLayer().WriteZip(&zipped, "g"); err != nil {
		f.Fatal(err)
	}
	f.Add(zipped.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := shapefile.ReadZip(data)
		if err == nil && l == nil {
			t.Fatal("nil layer without an error")
		}
	})
}
