package layerio_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/layerio"
	"wangge/internal/testenv"
)

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// zipDir zips the files of dir named base.*.
func zipDir(t *testing.T, dir, base string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	ms, _ := filepath.Glob(filepath.Join(dir, base+".*"))
	for _, m := range ms {
		w, _ := zw.Create(filepath.Base(m))
		w.Write(read(t, m))
	}
	zw.Close()
	return buf.Bytes()
}

func TestGCJ02LayerIsConverted(t *testing.T) {
	t.Parallel()
	data := read(t, testenv.SharedData(t, "china-datav-admin/hangzhou_330100_districts.json"))
	raw, err := layerio.Decode(data, layerio.Options{Mapping: layerio.Mapping{Code: "adcode"}})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := layerio.Decode(data, layerio.Options{Mapping: layerio.Mapping{Code: "adcode"}, Source: crs.GCJ02})
	if err != nil {
		t.Fatal(err)
	}
	if len(conv) != 13 || conv[0].Code != "330102" || conv[0].Name == "" {
		t.Fatalf("%d grids, first %q %q", len(conv), conv[0].Code, conv[0].Name)
	}
	p, q := raw[0].Geom[0][0][0], conv[0].Geom[0][0][0]
	if d := geo.Distance(p, q); d < 100 || d > 700 {
		t.Errorf("GCJ-02 → WGS-84 moved the first vertex %.0f m, want 100–700 m", d)
	}
	if w := crs.GCJ02ToWGS84(p); w != q {
		t.Errorf("converted %v, want %v", q, w)
	}
	// The districts partition the city: no overlap between them after conversion either.
	report, _, _ := layerio.Check(context.Background(), conv, nil, 0)
	// The layer import's request context reaches the coverage check.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := layerio.Check(done, conv, nil, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("check with a cancelled context: %v", err)
	}
	for _, f := range report.Features {
		if f.Properties["kind"] == "overlap" && f.Properties.MustFloat64("size") > 1 {
			t.Errorf("overlap after conversion: %v", f.Properties)
		}
	}
}

func TestInvalidFeatureIsRefusedWithWhere(t *testing.T) {
	t.Parallel()
	data := read(t, testenv.SharedData(t, "china-datav-admin/beijing_110000_districts.json"))
	_, err := layerio.Decode(data, layerio.Options{Mapping: layerio.Mapping{Code: "adcode"}, Source: crs.GCJ02})
	if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "110113") || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("%v, want 顺义区 110113 refused as invalid", err)
	}
}

func TestProjectedCRSRefused(t *testing.T) {
	t.Parallel()
	data := read(t, testenv.SharedData(t, "geolife-trackintel/area/tsinghua.geojson"))
	_, err := layerio.Decode(data, layerio.Options{})
	if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "32649") {
		t.Fatalf("%v, want a refusal naming EPSG:32649", err)
	}
	// The same as a Shapefile with a projected .prj (written by GDAL).
	ogr := testenv.Program(t, "ogr2ogr")
	dir := t.TempDir()
	if b, err := exec.Command(ogr, "-f", "ESRI Shapefile", filepath.Join(dir, "t.shp"), testenv.SharedData(t, "geolife-trackintel/area/tsinghua.geojson")).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, b)
	}
	_, err = layerio.Decode(zipDir(t, dir, "t"), layerio.Options{})
	if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "projected") || !strings.Contains(err.Error(), "49N") {
		t.Fatalf("%v, want a refusal naming the projected system", err)
	}
	// Projected coordinates without any declaration: out of range.
	_, err = layerio.Decode([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[954219,4442967],[954386,4442542],[954945,4441979],[954219,4442967]]]}}]}`), layerio.Options{})
	if !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "range") {
		t.Fatalf("%v", err)
	}
}

// TestShapefileRoundTripThroughGDAL writes a layer as a Shapefile, has
// ogr2ogr rewrite it, and reads it back.
func TestShapefileRoundTripThroughGDAL(t *testing.T) {
	t.Parallel()
	ogr := testenv.Program(t, "ogr2ogr")
	data := read(t, testenv.SharedData(t, "china-datav-admin/shenzhen_440300_districts.json"))
	grids, err := layerio.Decode(data, layerio.Options{Mapping: layerio.Mapping{Code: "adcode"}, Source: crs.GCJ02})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := layerio.Shapefile(grids).Files("a")
	if err != nil {
		t.Fatal(err)
	}
	for n, b := range files {
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	if b, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "b.shp"), filepath.Join(dir, "a.shp")).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, b)
	}
	back, err := layerio.Decode(zipDir(t, dir, "b"), layerio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Ours, read by our own reader (rings in RFC 7946 orientation), must
	// equal what GDAL rewrote, coordinate for coordinate.
	ours, err := layerio.Decode(zipDir(t, dir, "a"), layerio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(grids) {
		t.Fatalf("%d grids back, want %d", len(back), len(grids))
	}
	for i := range grids {
		if back[i].Code != grids[i].Code || back[i].Name != grids[i].Name {
			t.Errorf("grid %d: %q %q, want %q %q", i, back[i].Code, back[i].Name, grids[i].Code, grids[i].Name)
		}
		if a, b := geo.Area(back[i].Geom), geo.Area(grids[i].Geom); math.Abs(a-b) > 1e-6*b {
			t.Errorf("grid %s: area %.0f, want %.0f", grids[i].Code, a, b)
		}
		if !orb.Equal(back[i].Geom, ours[i].Geom) {
			t.Errorf("grid %s: coordinates changed in the round trip", grids[i].Code)
		}
	}
}

func TestBadLayers(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"not json":      `{"type":`,
		"not fc":        `{"type":"Feature","properties":{},"geometry":null}`,
		"point":         `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"x"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
		"no geometry":   `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"x"},"geometry":null}]}`,
		"crs 3857":      `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}`,
		"zip of no shp": "PK\x05\x06" + strings.Repeat("\x00", 18),
	}
	for name, body := range cases {
		if _, err := layerio.Decode([]byte(body), layerio.Options{}); !errors.Is(err, apperr.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if err := layerio.CheckPRJ(`GEOGCS["Beijing 1954",DATUM["Beijing_1954"]]`); err == nil {
		t.Error("Beijing 1954 accepted")
	}
	if err := layerio.CheckPRJ(`GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000"]]`); err != nil {
		t.Errorf("CGCS2000 refused: %v", err)
	}
}
