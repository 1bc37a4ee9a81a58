package api_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

type ogcPage struct {
	Type     string
	Features []struct {
		ID         any
		Properties map[string]any
	}
	Links []struct {
		Href, Rel, Type string
	}
	NumberReturned int
}

func (p ogcPage) link(rel string) string {
	for _, l := range p.Links {
		if l.Rel == rel {
			return l.Href
		}
	}
	return ""
}

func getPage(t *testing.T, url, token string) ogcPage {
	t.Helper()
	resp, body := do(t, "GET", url, token, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("%s: %d %s %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var p ogcPage
	if err := json.Unmarshal(body, &p); err != nil || p.Type != "FeatureCollection" {
		t.Fatalf("%s: %v %s", url, err, body)
	}
	return p
}

func dbCount(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := demoPool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOGCDocumentsAndRoles(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "auditor")
	var landing struct{ Links []struct{ Href, Rel string } }
	resp, body := do(t, "GET", base+"/ogc", tok, "")
	if resp.StatusCode != 200 || json.Unmarshal(body, &landing) != nil {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	rels := map[string]string{}
	for _, l := range landing.Links {
		rels[l.Rel] = l.Href
	}
	for _, rel := range []string{"self", "service-desc", "conformance", "data"} {
		if rels[rel] == "" {
			t.Errorf("landing page lacks a %s link: %s", rel, body)
			continue
		}
		if resp, body := do(t, "GET", rels[rel], tok, ""); resp.StatusCode != 200 || !json.Valid(body) {
			t.Errorf("%s → %s: %d", rel, rels[rel], resp.StatusCode)
		}
	}
	_, body = do(t, "GET", base+"/ogc/conformance", tok, "")
	if !strings.Contains(string(body), "ogcapi-features-1/1.0/conf/core") || !strings.Contains(string(body), "conf/geojson") {
		t.Errorf("conformance %s", body)
	}
	var cols struct {
		Collections []struct {
			ID     string
			Extent struct{ Spatial struct{ Bbox [][]float64 } }
			Links  []struct{ Rel, Href string }
		}
	}
	_, body = do(t, "GET", base+"/ogc/collections", tok, "")
	if err := json.Unmarshal(body, &cols); err != nil || len(cols.Collections) != 5 {
		t.Fatalf("collections %v %s", err, body)
	}
	for _, c := range cols.Collections {
		if len(c.Extent.Spatial.Bbox) != 1 || c.Extent.Spatial.Bbox[0][0] < 119 {
			t.Errorf("%s extent %v", c.ID, c.Extent)
		}
		if resp, _ := do(t, "GET", base+"/ogc/collections/"+c.ID, tok, ""); resp.StatusCode != 200 {
			t.Errorf("collection %s: %d", c.ID, resp.StatusCode)
		}
	}
	// Every role reads; anonymous does not.
	for _, role := range []string{"admin", "planner", "officer", "leader", "auditor"} {
		if resp, body := do(t, "GET", base+"/ogc/collections/grids/items?limit=1", tokenFor(t, base, role), ""); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", role, resp.StatusCode, body)
		}
	}
	for _, p := range []string{"/ogc", "/ogc/collections", "/ogc/collections/grids/items"} {
		if resp, _ := getAnonymous(t, base+p); resp.StatusCode != 401 {
			t.Errorf("anonymous %s: %d", p, resp.StatusCode)
		}
	}
}

func TestOGCItemsPagingAndFilters(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "officer")
	total := dbCount(t, `SELECT count(*) FROM units WHERE level = 4`)
	// Follow next links with limit 7: every grid once, in order.
	seen := map[string]bool{}
	url, pages := base+"/ogc/collections/grids/items?limit=7", 0
	for url != "" {
		p := getPage(t, url, tok)
		pages++
		if p.NumberReturned != len(p.Features) || len(p.Features) > 7 || p.link("self") == "" {
			t.Fatalf("page %d: %d features, numberReturned %d", pages, len(p.Features), p.NumberReturned)
		}
		for _, f := range p.Features {
			code := f.ID.(string)
			if seen[code] {
				t.Fatalf("grid %s on two pages", code)
			}
			seen[code] = true
		}
		url = p.link("next")
	}
	if len(seen) != total || pages != (total+6)/7 {
		t.Errorf("%d grids in %d pages, want %d in %d", len(seen), pages, total, (total+6)/7)
	}

	school := getPage(t, base+"/ogc/collections/grids/items?kind=school", tok)
	if want := dbCount(t, `SELECT count(*) FROM units WHERE level = 4 AND kind = 'school'`); len(school.Features) != want || want == 0 {
		t.Errorf("kind=school: %d, want %d", len(school.Features), want)
	}
	for _, f := range school.Features {
		if f.Properties["kind"] != "school" {
			t.Errorf("kind=school gave %v", f.Properties)
		}
	}
	// A box around the middle of the district selects some grids, not all.
	var x0, y0, x1, y1 float64
	if err := demoPool.QueryRow(context.Background(), `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(geom) AS e FROM units WHERE level = 4) s`).Scan(&x0, &y0, &x1, &y1); err != nil {
		t.Fatal(err)
	}
	x0, y0, x1, y1 = x0+(x1-x0)*0.4, y0+(y1-y0)*0.4, x0+(x1-x0)*0.6, y0+(y1-y0)*0.6
	box := strconv.FormatFloat(x0, 'f', 6, 64) + "," + strconv.FormatFloat(y0, 'f', 6, 64) + "," +
		strconv.FormatFloat(x1, 'f', 6, 64) + "," + strconv.FormatFloat(y1, 'f', 6, 64)
	bbox := getPage(t, base+"/ogc/collections/grids/items?limit=1000&bbox="+box, tok)
	if want := dbCount(t, `SELECT count(*) FROM units WHERE level = 4 AND geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)`,
		round6(x0), round6(y0), round6(x1), round6(y1)); len(bbox.Features) != want || want == 0 || want == total {
		t.Errorf("bbox: %d, want %d of %d", len(bbox.Features), want, total)
	}
	past := getPage(t, base+"/ogc/collections/grids/items?datetime=../2000-01-01T00:00:00Z", tok)
	now := getPage(t, base+"/ogc/collections/grids/items?datetime=2000-01-01T00:00:00Z/..&limit=1000", tok)
	if len(past.Features) != 0 || len(now.Features) != total {
		t.Errorf("datetime: %d grids before 2000, %d since (want 0, %d)", len(past.Features), len(now.Features), total)
	}
	comm := getPage(t, base+"/ogc/collections/communities/items", tok)
	if n := dbCount(t, `SELECT count(*) FROM units WHERE level = 3`); len(comm.Features) != n {
		t.Errorf("communities %d, want %d", len(comm.Features), n)
	}
	b := getPage(t, base+"/ogc/collections/buildings/items?limit=3", tok)
	if len(b.Features) != 3 || b.link("next") == "" {
		t.Fatalf("buildings page: %d, next %q", len(b.Features), b.link("next"))
	}
	for _, f := range b.Features {
		for k := range f.Properties {
			if k != "id" && k != "grid_code" && k != "floors" && k != "households" {
				t.Errorf("building property %q", k)
			}
		}
	}

	code := getPage(t, base+"/ogc/collections/grids/items?limit=1", tok).Features[0].ID.(string)
	resp, body := do(t, "GET", base+"/ogc/collections/grids/items/"+code, tok, "")
	var one struct {
		ID    string
		Links []struct{ Rel string }
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &one) != nil || one.ID != code || len(one.Links) != 2 {
		t.Errorf("item %s: %d %s", code, resp.StatusCode, body)
	}
	bid := strconv.Itoa(int(b.Features[0].ID.(float64)))
	if resp, body := do(t, "GET", base+"/ogc/collections/buildings/items/"+bid, tok, ""); resp.StatusCode != 200 {
		t.Errorf("building %s: %d %s", bid, resp.StatusCode, body)
	}

	bad := []struct {
		path   string
		status int
	}{
		{"/ogc/collections/planets", 404},
		{"/ogc/collections/planets/items", 404},
		{"/ogc/collections/grids/items/330199999999999", 404},
		{"/ogc/collections/grids/items/abc", 404},
		{"/ogc/collections/buildings/items/abc", 404},
		{"/ogc/collections/grids/items?limit=0", 400},
		{"/ogc/collections/grids/items?limit=x", 400},
		{"/ogc/collections/grids/items?bbox=1,2,3", 400},
		{"/ogc/collections/grids/items?datetime=yesterday", 400},
		{"/ogc/collections/grids/items?datetime=2020-01-02T00:00:00Z/2020-01-01T00:00:00Z", 400},
		{"/ogc/collections/grids/items?colour=red", 400},
		{"/ogc/collections/buildings/items?kind=school", 400},
		{"/ogc/collections/buildings/items?datetime=2020-01-01T00:00:00Z", 400},
		{"/ogc/collections/buildings/items?cursor=x", 400},
		{"/ogc/collections/grids/items?f=html", 400},
		{"/ogc/collections/grids/items?bbox-crs=EPSG:3857&bbox=1,2,3,4", 400},
	}
	for _, c := range bad {
		resp, body := do(t, "GET", base+c.path, tok, "")
		var e struct{ Error struct{ Code string } }
		if resp.StatusCode != c.status || json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
			t.Errorf("%s: %d %s, want %d", c.path, resp.StatusCode, body, c.status)
		}
	}
}

// TestOGCWithGDAL reads the collections with GDAL's OAPIF driver (what QGIS
// uses), authenticated by a bearer header, and pages with a small page size.
func TestOGCWithGDAL(t *testing.T) {
	t.Parallel()
	ogrinfo := gdalTool(t, "ogrinfo")
	ogr2ogr := gdalTool(t, "ogr2ogr")
	base := demoServer(t)
	env := append(os.Environ(), "GDAL_HTTP_HEADERS=Authorization: Bearer "+tokenFor(t, base, "leader"), "CPL_DEBUG=OFF")
	out, err := runGDAL(env, ogrinfo, "-ro", "-al", "-so", "OAPIF:"+base+"/ogc", "grids")
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	total := dbCount(t, `SELECT count(*) FROM units WHERE level = 4`)
	m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] != strconv.Itoa(total) {
		t.Errorf("GDAL feature count %v, want %d\n%s", m, total, out)
	}
	for _, field := range []string{"code: String", "name: String", "kind: String", "parent_code: String", "version: Integer"} {
		if !strings.Contains(out, field) {
			t.Errorf("GDAL lacks field %q\n%s", field, out)
		}
	}
	dst := filepath.Join(t.TempDir(), "grids.geojson")
	if out, err := runGDAL(env, ogr2ogr, "-f", "GeoJSON", dst, "OAPIF:"+base+"/ogc", "grids", "-oo", "PAGE_SIZE=9"); err != nil {
		t.Fatalf("ogr2ogr: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct{ Properties struct{ Code string } }
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, f := range fc.Features {
		codes[f.Properties.Code] = true
	}
	if len(fc.Features) != total || len(codes) != total {
		t.Errorf("GDAL paged %d features (%d distinct), want %d", len(fc.Features), len(codes), total)
	}
	// Without the header GDAL is refused.
	if out, err := runGDAL(os.Environ(), ogrinfo, "-ro", "-so", "OAPIF:"+base+"/ogc"); err == nil {
		t.Errorf("ogrinfo without a token succeeded:\n%s", out)
	}
}

func runGDAL(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func round6(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
	return r
}
