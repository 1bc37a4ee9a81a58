package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"wangge/internal/testenv"
)

// postLayer uploads data as the multipart field "file" with form values.
func postLayer(t *testing.T, base, tok, filename string, data []byte, form map[string]string) (*http.Response, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	for k, v := range form {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/layers/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func versionsOf(t *testing.T, comm string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, g := range communityGrids(t, editPool, comm) {
		out[g.code] = g.version
	}
	return out
}

func TestLayerExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	ogr := testenv.Program(t, "ogr2ogr")
	base, _ := editServer(t)
	comm := editComm[4]
	tok := editToken(t, base, "planner")
	before := versionsOf(t, comm)

	// Export as a zipped Shapefile, let GDAL rewrite it, import it back.
	resp, body := do(t, "GET", base+"/api/layers/export?format=shapefile&parent="+comm, tok, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", resp.StatusCode, body[:min(200, len(body))])
	}
	dir := t.TempDir()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		os.WriteFile(filepath.Join(dir, f.Name), b, 0o644)
	}
	if b, err := exec.Command(ogr, "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8", filepath.Join(dir, "gdal.shp"), filepath.Join(dir, "grids_"+comm+".shp")).CombinedOutput(); err != nil {
		t.Fatalf("ogr2ogr: %v %s", err, b)
	}
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	ms, _ := filepath.Glob(filepath.Join(dir, "gdal.*"))
	for _, m := range ms {
		w, _ := zw.Create(filepath.Base(m))
		b, _ := os.ReadFile(m)
		w.Write(b)
	}
	zw.Close()
	resp, body = postLayer(t, base, tok, "gdal.zip", zbuf.Bytes(), map[string]string{"dry_run": "true"})
	var rep struct {
		Features int
		Defects  *geojson.FeatureCollection
		Loaded   bool
		Counts   map[string]struct{ Inserted, Updated, Deleted int }
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Features != len(before) || len(rep.Defects.Features) != 0 || rep.Loaded {
		t.Fatalf("dry run: %d %s", resp.StatusCode, body[:min(500, len(body))])
	}
	resp, body = postLayer(t, base, tok, "gdal.zip", zbuf.Bytes(), map[string]string{"reason": "round trip"})
	if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || !rep.Loaded {
		t.Fatalf("import: %d %s", resp.StatusCode, body[:min(500, len(body))])
	}
	if c := rep.Counts[comm]; c.Inserted+c.Updated+c.Deleted != 0 {
		t.Errorf("identical layer changed grids: %+v", c)
	}

	// A GeoJSON layer with one vertex pushed into a neighbour: refused whole, with the overlap.
	resp, body = do(t, "GET", base+"/api/layers/export?parent="+comm, tok, "")
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("geojson export: %d %v", resp.StatusCode, err)
	}
	gs := communityGrids(t, editPool, comm)
	a, _, moved := movablePair(t, gs, true)
	for _, f := range fc.Features {
		if f.Properties["code"] == a.code {
			f.Geometry = moved
		}
	}
	bad, _ := json.Marshal(fc)
	resp, body = postLayer(t, base, tok, "bad.geojson", bad, nil)
	if resp.StatusCode != 422 || !strings.Contains(string(body), `"overlap"`) {
		t.Errorf("overlapping layer: %d %s", resp.StatusCode, body[:min(500, len(body))])
	}
	if after := versionsOf(t, comm); len(after) != len(before) || after[a.code] != before[a.code] {
		t.Errorf("refused import changed versions: %v → %v", before, after)
	}

	// Attribute mapping: the same layer with renamed properties.
	for _, f := range fc.Features {
		f.Properties["网格编码"] = f.Properties["code"]
		delete(f.Properties, "code")
		if f.Properties["网格编码"] == a.code {
			f.Geometry = a.geom
		}
	}
	renamed, _ := json.Marshal(fc)
	resp, body = postLayer(t, base, tok, "renamed.geojson", renamed, map[string]string{"code_field": "网格编码", "dry_run": "true"})
	if resp.StatusCode != 200 || json.Unmarshal(body, &rep) != nil || rep.Features != len(fc.Features) || len(rep.Defects.Features) != 0 {
		t.Errorf("mapped import: %d %s", resp.StatusCode, body[:min(500, len(body))])
	}

	// Projected CRS: refused clearly; roles.
	tsinghua, err := os.ReadFile(testenv.SharedData(t, "geolife-trackintel/area/tsinghua.geojson"))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := postLayer(t, base, tok, "t.geojson", tsinghua, nil); resp.StatusCode != 400 || !strings.Contains(string(body), "32649") {
		t.Errorf("tsinghua: %d %s", resp.StatusCode, body)
	}
	for _, user := range []string{"officer", "leader", "auditor", "planner2"} {
		if resp, body := postLayer(t, base, editToken(t, base, user), "x.zip", zbuf.Bytes(), map[string]string{"dry_run": "true"}); resp.StatusCode != 403 {
			t.Errorf("%s import: %d %s", user, resp.StatusCode, body[:min(200, len(body))])
		}
	}
	var n int
	editPool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'layer.import' AND object_id = $1`, comm).Scan(&n)
	if n != 1 {
		t.Errorf("%d audit entries for the one loaded import", n)
	}
}
