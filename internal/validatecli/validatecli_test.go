package validatecli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wangge/internal/testenv"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNeighbourhoodsHaveDefects(t *testing.T) {
	cases := []struct {
		file  string
		lines []string // substrings that must appear
	}{
		{"toronto.geojson", []string{"invalid_geometry features=[40]", "overlap ", "gap ", "invalid_edge", "5 overlap", "10 gap"}},
		{"berlin.geojson", []string{"overlap ", "overlap          features=[25,26]", "1 overlap", "2 gap"}},
		{"seattle.geojson", []string{"2 gap"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			code, out, errs := run(testenv.SharedData(t, "neighborhoods-click-that-hood/"+c.file))
			if code != ExitDefects {
				t.Fatalf("exit %d, want %d; stderr %s", code, ExitDefects, errs)
			}
			for _, s := range c.lines {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

func TestCleanFileExitsZero(t *testing.T) {
	f := testenv.SharedData(t, "china-datav-admin/hangzhou_330100_districts.json")
	code, out, errs := run(f)
	if code != ExitClean || !strings.Contains(out, "clean: 13 members") {
		t.Fatalf("exit %d out %q err %q", code, out, errs)
	}
	code, out, _ = run("--json", f)
	if code != ExitClean || !strings.Contains(out, `"features":[]`) {
		t.Fatalf("json clean: exit %d out %q", code, out)
	}
}

func TestJSONOutput(t *testing.T) {
	f := testenv.SharedData(t, "neighborhoods-click-that-hood/berlin.geojson")
	code, out, errs := run(f, "--json")
	if code != ExitDefects {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry   struct{ Type string } `json:"geometry"`
			Properties struct {
				Kind     string  `json:"kind"`
				Features []any   `json:"features"`
				Size     float64 `json:"size"`
				Unit     string  `json:"unit"`
				Message  string  `json:"message"`
			} `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &fc); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, f := range fc.Features {
		p := f.Properties
		kinds[p.Kind]++
		switch p.Kind {
		case "overlap":
			if len(p.Features) != 2 || p.Unit != "m2" || p.Size < 16 || p.Size > 22 || f.Geometry.Type != "Polygon" {
				t.Errorf("overlap feature %+v", f)
			}
		case "invalid_edge":
			if len(p.Features) != 1 || p.Unit != "m" || !strings.Contains(f.Geometry.Type, "LineString") {
				t.Errorf("invalid_edge feature %+v", f)
			}
		}
	}
	if kinds["overlap"] != 1 || kinds["gap"] != 2 || kinds["invalid_edge"] != 2 {
		t.Errorf("kinds %v", kinds)
	}
}

func TestParentFlag(t *testing.T) {
	members := writeTemp(t, "m.geojson", `{"type":"FeatureCollection","features":[
{"type":"Feature","id":"a","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}},
{"type":"Feature","properties":{"id":"b"},"geometry":{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}}]}`)
	parent := writeTemp(t, "p.geojson", `{"type":"Polygon","coordinates":[[[0,0],[3,0],[3,1],[0,1],[0,0]]]}`)
	code, out, errs := run("--planar", "--parent", parent, members)
	if code != ExitDefects || !strings.Contains(out, "gap") || !strings.Contains(out, "features=[b]") {
		t.Fatalf("exit %d out %s err %s", code, out, errs)
	}
	code, out, _ = run("--planar", members)
	if code != ExitClean {
		t.Fatalf("without parent: exit %d %s", code, out)
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"not JSON", []string{writeTemp(t, "x.geojson", "this is not json")}, "not a GeoJSON FeatureCollection"},
		{"wrong CRS", []string{testenv.SharedData(t, "geolife-trackintel/area/tsinghua.geojson")}, "unsupported CRS"},
		{"projected without crs", []string{writeTemp(t, "u.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[440000,4430000],[441000,4430000],[441000,4431000],[440000,4430000]]]}}]}`)}, "outside the lon/lat range"},
		{"point feature", []string{writeTemp(t, "p.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}]}`)}, "only Polygon and MultiPolygon"},
		{"missing file", []string{"/nonexistent/file.geojson"}, "no such file"},
		{"no file", nil, "need exactly one FILE"},
		{"bad flag", []string{"--nope", "x"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errs := run(c.args...)
			if code != ExitUsage || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d stderr %q, want 2 and %q", code, errs, c.msg)
			}
		})
	}
}

func TestWrongCRSAcceptedWhenPlanar(t *testing.T) {
	code, out, errs := run("--planar", testenv.SharedData(t, "geolife-trackintel/area/tsinghua.geojson"))
	if code == ExitUsage {
		t.Fatalf("planar UTM file rejected: %s", errs)
	}
	if !strings.Contains(out, "members") {
		t.Errorf("no summary: %s", out)
	}
}

// TestRepeatedVerticesWarn: Toronto's features 36 and 40 repeat vertices,
// which PostGIS's ST_IsValid accepts: a warning each, and the only invalid
// geometry left is feature 40's spike and self-intersection.
func TestRepeatedVerticesWarn(t *testing.T) {
	code, out, errs := run(testenv.SharedData(t, "neighborhoods-click-that-hood/toronto.geojson"))
	if code != ExitDefects {
		t.Fatalf("exit %d; stderr %s", code, errs)
	}
	for _, s := range []string{"warning repeated_vertex  features=[36]", "warning repeated_vertex  features=[40]", "3 invalid_geometry", "2 warning(s)"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "repeated consecutive point") {
		t.Errorf("a repeated vertex is reported as invalid geometry:\n%s", out)
	}
}
