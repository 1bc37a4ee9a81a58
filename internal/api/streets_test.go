package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math"
	"mime/multipart"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"wangge/internal/testenv"
)

// TestStreetNetworkImport: a district's lines replace its street network in
// one go (an admin or a district planner); a file with anything but lines,
// or with a line in another district, stores nothing.
func TestStreetNetworkImport(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	admin, planner := tokenFor(t, base, "admin"), tokenFor(t, base, "planner")
	var lon, lat float64
	var region string
	if err := demoPool.QueryRow(ctx, `SELECT left(code, 6), ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&region, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	line := func(dx float64) string {
		return fmt.Sprintf(`{"type":"Feature","properties":{"name":"文一路","highway":"residential"},"geometry":{"type":"LineString","coordinates":[[%.7f,%.7f],[%.7f,%.7f]]}}`, lon, lat, lon+dx, lat)
	}
	multi := fmt.Sprintf(`{"type":"Feature","properties":{"名称":"支路"},"geometry":{"type":"MultiLineString","coordinates":[[[%.7f,%.7f],[%.7f,%.7f]],[[%.7f,%.7f],[%.7f,%.7f]]]}}`,
		lon, lat, lon, lat+0.001, lon, lat, lon-0.001, lat)
	fc := func(fs ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
	}
	count := func() int {
		var n int
		_ = demoPool.QueryRow(ctx, `SELECT count(*) FROM streets WHERE region_code = $1`, region).Scan(&n)
		return n
	}
	url := base + "/api/streets/import?region=" + region
	if resp, out := do(t, "POST", url, admin, fc(line(0.001), multi)); resp.StatusCode != 200 || !strings.Contains(string(out), `"features":3`) || count() != 3 {
		t.Fatalf("import: %d %s, %d stored", resp.StatusCode, out, count())
	}
	var name, kind string
	if err := demoPool.QueryRow(ctx, `SELECT name, kind FROM streets WHERE region_code = $1 ORDER BY id LIMIT 1`, region).Scan(&name, &kind); err != nil || name != "文一路" || kind != "residential" {
		t.Errorf("first street: %q %q %v", name, kind, err)
	}
	if resp, out := do(t, "POST", url, admin, fc(line(0.002))); resp.StatusCode != 200 || !strings.Contains(string(out), `"replaced":3`) || count() != 1 {
		t.Fatalf("replace: %d %s, %d stored", resp.StatusCode, out, count())
	}
	point := fmt.Sprintf(`{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%.7f,%.7f]}}`, lon, lat)
	far := `{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[100.0,20.0],[100.01,20.0]]}}`
	for _, c := range []struct {
		token, url, body string
		want             int
		says             string
	}{
		{admin, url, fc(line(0.001), point), 400, "feature 1: a Point"},
		{admin, url, fc(line(0.001), far), 400, "features [1] lie outside"},
		{admin, url, `{"type":"Feature"}`, 400, "FeatureCollection"},
		{admin, url, fc(), 400, "no features"},
		{admin, base + "/api/streets/import?region=33", fc(line(0.001)), 400, "6-digit"},
		{planner, url, fc(line(0.001)), 403, "330199000000"}, // a street's planner: the network is the district's
	} {
		resp, out := do(t, "POST", c.url, c.token, c.body)
		if resp.StatusCode != c.want || !strings.Contains(string(out), c.says) {
			t.Errorf("POST %s: %d %s, want %d %q", c.body[:min(60, len(c.body))], resp.StatusCode, out, c.want, c.says)
		}
	}
	if count() != 1 {
		t.Errorf("refused files changed the network: %d lines", count())
	}
}

// TestWaterAndShapefileImport: the district's water takes lines and areas
// (GCJ-02 converted), refuses a crossing area and a point with nothing
// stored; a street network comes as a zipped Shapefile that GDAL wrote.
func TestWaterAndShapefileImport(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	admin := tokenFor(t, base, "admin")
	var lon, lat float64
	var region string
	// The middle of the district: a GCJ-02 shift of hundreds of metres stays inside.
	if err := demoPool.QueryRow(ctx, `SELECT region_code, round(ST_X(ST_Centroid(geom))::numeric, 7), round(ST_Y(ST_Centroid(geom))::numeric, 7) FROM units WHERE level = 1 ORDER BY code LIMIT 1`).Scan(&region, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	count := func(table string) int {
		var n int
		_ = demoPool.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE region_code = $1`, region).Scan(&n)
		return n
	}
	square := func(d float64) string {
		return fmt.Sprintf(`[[[%.7[1]f,%.7[2]f],[%.7[3]f,%.7[2]f],[%.7[3]f,%.7[4]f],[%.7[1]f,%.7[4]f],[%.7[1]f,%.7[2]f]]]`, lon, lat, lon+d, lat+d) // lon, lat have 7 decimals
	}
	lake := `{"type":"Feature","properties":{"name":"西溪湖","natural":"water"},"geometry":{"type":"Polygon","coordinates":` + square(0.001) + `}}`
	river := fmt.Sprintf(`{"type":"Feature","properties":{"name":"余杭塘河","waterway":"river"},"geometry":{"type":"LineString","coordinates":[[%f,%f],[%f,%f]]}}`, lon, lat, lon+0.002, lat)
	bowtie := fmt.Sprintf(`{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[4]f],[%[3]f,%[2]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}}`, lon, lat, lon+0.001, lat+0.001)
	point := fmt.Sprintf(`{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%f,%f]}}`, lon, lat)
	fc := func(fs ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
	}
	url := base + "/api/water/import?region=" + region
	if resp, out := do(t, "POST", url, admin, fc(lake, river)); resp.StatusCode != 200 || !strings.Contains(string(out), `"features":2`) || count("water") != 2 {
		t.Fatalf("water: %d %s, %d stored", resp.StatusCode, out, count("water"))
	}
	var kind string
	var x float64
	if err := demoPool.QueryRow(ctx, `SELECT kind, ST_XMin(geom) FROM water WHERE region_code = $1 AND name = '西溪湖'`, region).Scan(&kind, &x); err != nil || kind != "water" || math.Abs(x-lon) > 1e-9 {
		t.Errorf("lake: kind %q, west edge %v (sent %v): %v", kind, x, lon, err)
	}
	for _, c := range []struct{ body, says string }{
		{fc(lake, bowtie), "feature 1: invalid area"},
		{fc(point), "feature 0: a Point"},
		{fc(lake + `,{"type":"Feature","properties":{"name":"x\u0000"},"geometry":{"type":"LineString","coordinates":[[1,1],[2,2]]}}`), "NUL character"},
	} {
		if resp, out := do(t, "POST", url, admin, c.body); resp.StatusCode != 400 || !strings.Contains(string(out), c.says) {
			t.Errorf("refusal: %d %s, want 400 %q", resp.StatusCode, out, c.says)
		}
	}
	if count("water") != 2 {
		t.Errorf("refused files changed the water: %d", count("water"))
	}
	// GCJ-02 (AMap) coordinates are shifted back to WGS-84: hundreds of metres here.
	if resp, out := do(t, "POST", url+"&source_crs=gcj02", admin, fc(lake)); resp.StatusCode != 200 {
		t.Fatalf("gcj02: %d %s", resp.StatusCode, out)
	}
	if err := demoPool.QueryRow(ctx, `SELECT ST_XMin(geom) FROM water WHERE region_code = $1`, region).Scan(&x); err != nil || math.Abs(x-lon) < 0.001 {
		t.Errorf("gcj02 lake west edge %v, sent %v: not converted", x, lon)
	}

	// Streets as a zipped Shapefile (PolyLine) written by ogr2ogr.
	ogr := testenv.Program(t, "ogr2ogr")
	dir := t.TempDir()
	src := filepath.Join(dir, "roads.geojson")
	streets := fmt.Sprintf(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"文三路","fclass":"secondary"},"geometry":{"type":"LineString","coordinates":[[%f,%f],[%f,%f]]}},{"type":"Feature","properties":{"name":"学院路","fclass":"primary"},"geometry":{"type":"MultiLineString","coordinates":[[[%f,%f],[%f,%f]],[[%f,%f],[%f,%f]]]}}]}`,
		lon, lat, lon+0.001, lat, lon, lat, lon, lat+0.001, lon, lat+0.001, lon+0.001, lat+0.001)
	if err := os.WriteFile(src, []byte(streets), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", "-nlt", "MULTILINESTRING", filepath.Join(dir, "roads.shp"), src).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, b)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for _, ext := range []string{"shp", "shx", "dbf", "prj", "cpg"} {
		b, err := os.ReadFile(filepath.Join(dir, "roads."+ext))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create("roads." + ext)
		w.Write(b)
	}
	zw.Close()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "roads.zip")
	fw.Write(zipped.Bytes())
	mw.Close()
	resp, out := doAs(t, "POST", base+"/api/streets/import?region="+region, admin, mw.FormDataContentType(), body.String())
	if resp.StatusCode != 200 || !strings.Contains(string(out), `"features":3`) {
		t.Fatalf("shapefile streets: %d %s", resp.StatusCode, out)
	}
	var names string
	if err := demoPool.QueryRow(ctx, `SELECT string_agg(name || ':' || kind, ',' ORDER BY id) FROM streets WHERE region_code = $1`, region).Scan(&names); err != nil || names != "文三路:secondary,学院路:primary,学院路:primary" {
		t.Errorf("streets from the shapefile: %q %v", names, err)
	}
}
