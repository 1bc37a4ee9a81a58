package shapefile_test

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"wangge/geo/shapefile"
	"wangge/internal/testenv"
)

func area(g orb.Geometry) float64 {
	if g == nil {
		return 0
	}
	return math.Abs(planar.Area(g))
}

func npoints(g orb.Geometry) int {
	n := 0
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			n += len(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			n += npoints(p)
		}
	}
	return n
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadsWhatGDALWrites converts real GeoJSON to shapefiles with ogr2ogr
// (UTF-8 and GBK code pages) and reads them back.
func TestReadsWhatGDALWrites(t *testing.T) {
	t.Parallel()
	ogr := testenv.Program(t, "ogr2ogr")
	src := testenv.SharedData(t, "china-datav-admin/hangzhou_330100_districts.json")
	fc, err := geojson.UnmarshalFeatureCollection(readFile(t, src))
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{"UTF-8", "CP936"} {
		dir := t.TempDir()
		out := filepath.Join(dir, "d.shp")
		cmd := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING="+enc, "-nlt", "MULTIPOLYGON", out, src)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr: %v %s", err, b)
		}
		cpg, _ := os.ReadFile(filepath.Join(dir, "d.cpg"))
		prj, _ := os.ReadFile(filepath.Join(dir, "d.prj"))
		l, err := shapefile.Read(readFile(t, out), readFile(t, filepath.Join(dir, "d.dbf")), string(cpg), string(prj))
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if len(l.Features) != len(fc.Features) {
			t.Fatalf("%s: %d features, want %d", enc, len(l.Features), len(fc.Features))
		}
		for i, f := range l.Features {
			want := fc.Features[i]
			if got := l.Value(f, "name"); got != want.Properties["name"] {
				t.Errorf("%s: feature %d name %q, want %q", enc, i, got, want.Properties["name"])
			}
			if a, b := area(f.Geometry), area(want.Geometry); math.Abs(a-b) > 1e-9*b {
				t.Errorf("%s: feature %d area %g, want %g", enc, i, a, b)
			}
			if a, b := npoints(f.Geometry), npoints(want.Geometry); a != b {
				t.Errorf("%s: feature %d has %d points, want %d", enc, i, a, b)
			}
		}
		if len(prj) == 0 || l.PRJ == "" {
			t.Errorf("%s: no .prj read", enc)
		}
	}
}

// TestGDALReadsWhatWeWrite writes a layer with a hole and Chinese text and
// has ogr2ogr convert it to GeoJSON.
func TestGDALReadsWhatWeWrite(t *testing.T) {
	t.Parallel()
	ogr := testenv.Program(t, "ogr2ogr")
	shell := orb.Ring{{120, 30}, {120.01, 30}, {120.01, 30.01}, {120, 30.01}, {120, 30}}
	hole := orb.Ring{{120.002, 30.002}, {120.002, 30.004}, {120.004, 30.004}, {120.004, 30.002}, {120.002, 30.002}}
	l := &shapefile.Layer{
		Fields: []shapefile.Field{{Name: "code", Type: 'C'}, {Name: "name", Type: 'C'}, {Name: "hh", Type: 'N', Length: 6}},
		Features: []shapefile.Feature{
			{Geometry: orb.Polygon{shell, hole}, Values: []string{"330199001001001", "第一网格", "321"}},
			{Geometry: orb.MultiPolygon{{{{121, 31}, {121.01, 31}, {121.01, 31.01}, {121, 31}}}, {{{122, 31}, {122.01, 31}, {122.01, 31.01}, {122, 31}}}},
				Values: []string{"330199001001002", "第二网格", "7"}},
		},
	}
	dir := t.TempDir()
	files, err := l.Files("grids")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out.geojson")
	if b, err := exec.Command(ogr, "-f", "GeoJSON", out, filepath.Join(dir, "grids.shp")).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, b)
	}
	fc, err := geojson.UnmarshalFeatureCollection(readFile(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 2 {
		t.Fatalf("%d features", len(fc.Features))
	}
	for i, f := range fc.Features {
		if f.Properties["name"] != l.Features[i].Values[1] || f.Properties["code"] != l.Features[i].Values[0] {
			t.Errorf("feature %d properties %v", i, f.Properties)
		}
		if a, b := area(f.Geometry), area(l.Features[i].Geometry); math.Abs(a-b) > 1e-12 {
			t.Errorf("feature %d area %g, want %g", i, a, b)
		}
	}
	if p, ok := fc.Features[0].Geometry.(orb.Polygon); !ok || len(p) != 2 {
		t.Errorf("feature 0: %T with hole lost", fc.Features[0].Geometry)
	}
	if hh := fc.Features[1].Properties["hh"]; hh != 7.0 {
		t.Errorf("numeric field %v", hh)
	}
	// And our own reader agrees, through a zip.
	var buf bytes.Buffer
	if err := l.WriteZip(&buf, "grids"); err != nil {
		t.Fatal(err)
	}
	back, err := shapefile.ReadZip(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range back.Features {
		if !orb.Equal(f.Geometry, l.Features[i].Geometry) && area(f.Geometry) != area(l.Features[i].Geometry) {
			t.Errorf("zip round trip feature %d differs", i)
		}
		if back.Value(f, "NAME") != l.Features[i].Values[1] {
			t.Errorf("zip round trip name %q", back.Value(f, "NAME"))
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	cases := map[string]func() error{
		"not shp": func() error { _, err := shapefile.Read([]byte("hello world"), nil, "", ""); return err },
		"not zip": func() error { _, err := shapefile.ReadZip([]byte("PK nope")); return err },
		"bad cpg": func() error { _, err := shapefile.Read(validSHP(t), validDBF(t), "KOI8-R", ""); return err },
		"truncated": func() error {
			b := validSHP(t)
			_, err := shapefile.Read(b[:len(b)-10], validDBF(t), "", "")
			return err
		},
		"long name": func() error {
			_, err := (&shapefile.Layer{Fields: []shapefile.Field{{Name: "much_too_long_name"}}}).Files("x")
			return err
		},
		"point": func() error {
			_, err := (&shapefile.Layer{Fields: []shapefile.Field{{Name: "a"}}, Features: []shapefile.Feature{{Geometry: orb.Point{1, 2}, Values: []string{"x"}}}}).Files("x")
			return err
		},
	}
	for name, f := range cases {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func validFiles(t *testing.T) map[string][]byte {
	l := &shapefile.Layer{Fields: []shapefile.Field{{Name: "a"}}, Features: []shapefile.Feature{{Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, Values: []string{"x"}}}}
	f, err := l.Files("v")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func validSHP(t *testing.T) []byte { return validFiles(t)["v.shp"] }
func validDBF(t *testing.T) []byte { return validFiles(t)["v.dbf"] }

// TestReadsPolyLinesGDALWrites: a street network (a line and a two-part
// line, Chinese names) written by ogr2ogr as PolyLine and PolyLineZ comes
// back with every vertex exactly.
func TestReadsPolyLinesGDALWrites(t *testing.T) {
	t.Parallel()
	ogr := testenv.Program(t, "ogr2ogr")
	want := []orb.Geometry{
		orb.LineString{{120.1, 30.2}, {120.1012345, 30.2}, {120.102, 30.2010001}},
		orb.MultiLineString{{{120.2, 30.3}, {120.21, 30.3}}, {{120.21, 30.3}, {120.21, 30.31}, {120.22, 30.32}}},
	}
	fc := geojson.NewFeatureCollection()
	for i, g := range want {
		f := geojson.NewFeature(g)
		f.Properties["name"] = []string{"文一路", "莫干山路"}[i]
		fc.Append(f)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "streets.geojson")
	b, _ := fc.MarshalJSON()
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dim := range []string{"XY", "XYZ"} {
		out := filepath.Join(dir, dim+".shp")
		cmd := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-nlt", "MULTILINESTRING", "-dim", dim, out, src)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ogr2ogr: %v %s", err, b)
		}
		cpg, _ := os.ReadFile(filepath.Join(dir, dim+".cpg"))
		l, err := shapefile.Read(readFile(t, out), readFile(t, filepath.Join(dir, dim+".dbf")), string(cpg), "")
		if err != nil {
			t.Fatalf("%s: %v", dim, err)
		}
		if len(l.Features) != len(want) {
			t.Fatalf("%s: %d features", dim, len(l.Features))
		}
		for i, f := range l.Features {
			if !orb.Equal(f.Geometry, want[i]) {
				t.Errorf("%s: feature %d is %v, want %v", dim, i, f.Geometry, want[i])
			}
			if name := l.Value(f, "name"); name != fc.Features[i].Properties["name"] {
				t.Errorf("%s: feature %d name %q", dim, i, name)
			}
		}
	}
}
