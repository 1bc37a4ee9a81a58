package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/xuri/excelize/v2"

	"wangge/geo/crs"
	"wangge/internal/auth"
)

type inspWorld struct {
	*incidentWorld
	otherOfficer string // a grid worker of another grid
	lab          int64
	photoID      string
}

func newInspWorld(t *testing.T) *inspWorld {
	t.Helper()
	w := &inspWorld{incidentWorld: newIncidentWorld(t)}
	ctx := context.Background()
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.pool.Exec(ctx, `INSERT INTO users (username, password_hash, role, unit_code, display_name)
        SELECT 'officer-b', $1, 'officer', code, '别的网格员' FROM units WHERE level = 4 AND code <> $2 ORDER BY code LIMIT 1`,
		hash, w.grid); err != nil {
		t.Fatal(err)
	}
	w.otherOfficer = loginAs(t, w.base, "officer-b")
	resp, b := do(t, "POST", w.base+"/api/places", w.officer, fmt.Sprintf(`{"grid_code":%q,"kind":"school_lab","name":"物理实验室 Physics lab","lon":%v,"lat":%v}`,
		w.grid, w.inGrid[0], w.inGrid[1]))
	var r struct{ ID int64 }
	if resp.StatusCode != 201 || json.Unmarshal(b, &r) != nil || r.ID == 0 {
		t.Fatalf("create place: %d %s", resp.StatusCode, b)
	}
	w.lab = r.ID
	return w
}

func (w *inspWorld) body(id string, fail string, photo bool) string {
	var res []map[string]any
	for _, it := range []string{"extinguisher_present", "extinguisher_in_date", "exits_clear", "wiring", "gas", "chemicals_storage"} {
		res = append(res, map[string]any{"item": it, "ok": it != fail})
	}
	res = append(res, map[string]any{"item": "extinguisher_pressure", "ok": true, "value": 1.1})
	if photo {
		res = append(res, map[string]any{"item": "photo", "ok": true, "photos": []string{w.photoID}})
	}
	b, _ := json.Marshal(map[string]any{"id": id, "place_id": w.lab, "template": "school.lab",
		"inspected_at": time.Now().Add(-time.Second).Truncate(time.Second).Format(time.RFC3339), "lon": w.inGrid[0], "lat": w.inGrid[1], "results": res})
	return string(b)
}

func TestInspectionsOverHTTP(t *testing.T) {
	w := newInspWorld(t)
	w.photoID = newCaseID()
	if resp, b := uploadPhoto(t, w.base, w.officer, w.photoID, "image/jpeg", smallJPEG(t, 64, 48)); resp.StatusCode != 201 {
		t.Fatalf("photo: %d %s", resp.StatusCode, b)
	}
	resp, b := do(t, "GET", w.base+"/api/inspection-templates?kind=school_lab", w.officer, "")
	var tpls []struct {
		Code, Kind string
		Version    int
		Items      []struct {
			Code, Text string
			JudgedBy   string `json:"judged_by"`
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &tpls) != nil || len(tpls) != 1 || tpls[0].Code != "school.lab" || len(tpls[0].Items) < 5 || tpls[0].Items[6].JudgedBy != "number" {
		t.Fatalf("templates: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", w.base+"/api/places?grid="+w.grid, w.officer, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), "物理实验室") {
		t.Fatalf("places: %d %s", resp.StatusCode, b)
	}
	// Bad inputs: 4xx and nothing stored.
	id := newCaseID()
	good := w.body(id, "wiring", true)
	for _, c := range []struct {
		what, tok, body string
		status          int
	}{
		{"item not in the template", w.officer, strings.Replace(good, `"item":"gas"`, `"item":"pool"`, 1), 400},
		{"photo item without its photo", w.officer, w.body(id, "wiring", false), 400},
		{"place outside the inspector's units", w.otherOfficer, good, 403},
		{"leader may not record", w.leader, good, 403},
		{"unknown field", w.officer, strings.Replace(good, `"lat"`, `"latitude"`, 1), 400},
		{"not JSON", w.officer, `{"id":`, 400},
	} {
		resp, b := do(t, "POST", w.base+"/api/inspections", c.tok, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.what, resp.StatusCode, b, c.status)
		}
		if n := w.count(t, `SELECT count(*) FROM inspections`); n != 0 {
			t.Fatalf("%s: %d inspections stored", c.what, n)
		}
	}
	// 201 first, 200 for the same body, 409 for another under the id.
	for i, want := range []int{201, 200, 200} {
		resp, b := do(t, "POST", w.base+"/api/inspections", w.officer, good)
		if resp.StatusCode != want {
			t.Fatalf("send %d: %d %s, want %d", i, resp.StatusCode, b, want)
		}
	}
	resp, b = do(t, "POST", w.base+"/api/inspections", w.officer, w.body(id, "gas", true))
	wantError(t, "another body under the id", resp, b, 409, "conflict")
	if n, h := w.count(t, `SELECT count(*) FROM inspections`), w.count(t, `SELECT count(*) FROM hazards`); n != 1 || h != 1 {
		t.Fatalf("%d inspections and %d hazards, want 1 and 1", n, h)
	}
	resp, b = do(t, "GET", w.base+"/api/hazards?unit="+w.grid+"&state=open", w.officer, "")
	var hs []struct {
		ID       int64
		PlaceID  int64 `json:"place_id"`
		Item     string
		State    string
		Deadline time.Time
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &hs) != nil || len(hs) != 1 || hs[0].Item != "wiring" || hs[0].PlaceID != w.lab || hs[0].Deadline.IsZero() {
		t.Fatalf("open hazards: %d %s", resp.StatusCode, b)
	}
	for _, c := range []struct {
		what, url, tok string
		status         int
	}{
		{"bad state", "/api/hazards?unit=" + w.grid + "&state=fixed", w.officer, 400},
		{"another grid's hazards", "/api/hazards?unit=" + w.grid, w.otherOfficer, 403},
		{"bad format", "/api/hazards/register?unit=" + w.grid + "&format=doc", w.officer, 400},
		{"bad staff", "/api/inspections/due?staff=x", w.officer, 400},
	} {
		if resp, b := do(t, "GET", w.base+c.url, c.tok, ""); resp.StatusCode != c.status {
			t.Errorf("%s: %d %s, want %d", c.what, resp.StatusCode, b, c.status)
		}
	}
	// Closing without a passing re-inspection: 409, still open.
	resp, b = do(t, "POST", fmt.Sprintf("%s/api/hazards/%d/close", w.base, hs[0].ID), w.officer, fmt.Sprintf(`{"inspection":%q}`, id))
	wantError(t, "close without re-inspection", resp, b, 409, "conflict")
	if n := w.count(t, `SELECT count(*) FROM hazards WHERE state = 'open'`); n != 1 {
		t.Fatalf("hazard closed by a refused request")
	}
	// The due list: the lab was inspected this week, so nothing is due.
	resp, b = do(t, "GET", w.base+"/api/inspections/due?unit="+w.grid, w.officer, "")
	if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("due after an inspection: %d %s", resp.StatusCode, b)
	}
	// A passing re-inspection closes it; the register shows it rectified.
	again := newCaseID()
	resp, b = do(t, "POST", w.base+"/api/inspections", w.officer, w.body(again, "", true))
	if resp.StatusCode != 201 || !strings.Contains(string(b), fmt.Sprintf(`"hazards_closed":[%d]`, hs[0].ID)) {
		t.Fatalf("re-inspection: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", w.base+"/api/hazards/register?unit="+w.grid+"&format=xlsx", w.leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("register xlsx: %d %s", resp.StatusCode, b)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("隐患台账")
	if err != nil || len(rows) != 3 || rows[2][2] != "物理实验室 Physics lab" || rows[2][7] != "已整改" {
		t.Fatalf("register rows %q %v", rows, err)
	}
	resp, b = do(t, "GET", w.base+"/api/hazards/register?unit="+w.grid+"&format=pdf", w.leader, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("register pdf: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", p, "-").Output()
	if err != nil || !strings.Contains(string(out), "物理实验室") || !strings.Contains(string(out), "已整改") {
		t.Fatalf("pdftotext: %v %s", err, out)
	}
	// Drills: 201, the same again 200, the semester check sees it.
	drill := fmt.Sprintf(`{"id":%q,"grid_code":%q,"held_on":%q,"scenario":"火灾疏散 fire evacuation","participants":120}`,
		newCaseID(), w.grid, time.Now().Format(time.DateOnly))
	for i, want := range []int{201, 200} {
		if resp, b := do(t, "POST", w.base+"/api/drills", w.officer, drill); resp.StatusCode != want {
			t.Fatalf("drill %d: %d %s, want %d", i, resp.StatusCode, b, want)
		}
	}
	if resp, b := do(t, "POST", w.base+"/api/drills", w.otherOfficer, strings.Replace(drill, "-0000-4000", "-0001-4000", 1)); resp.StatusCode != 403 {
		t.Errorf("drill in another grid: %d %s, want 403", resp.StatusCode, b)
	}
	if n := w.count(t, `SELECT count(*) FROM drills`); n != 1 {
		t.Fatalf("%d drills stored, want 1", n)
	}
	resp, b = do(t, "GET", w.base+"/api/drills/check?unit="+w.community, w.leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("drill check: %d %s", resp.StatusCode, b)
	}
	// Places from a table: CSV 201, another type 415, nothing stored by the refused one.
	places := w.count(t, `SELECT count(*) FROM places`)
	table := fmt.Sprintf("name,kind,lon,lat\n图书室,library,%v,%v\n", w.inGrid[0], w.inGrid[1])
	if resp, b := doAs(t, "POST", w.base+"/api/places/import?grid="+w.grid, w.officer, "text/csv", table); resp.StatusCode != 201 || !strings.Contains(string(b), `"ids":[`) {
		t.Fatalf("csv import: %d %s", resp.StatusCode, b)
	}
	resp, b = doAs(t, "POST", w.base+"/api/places/import?grid="+w.grid, w.officer, "text/plain", table)
	wantError(t, "import as text/plain", resp, b, 415, "unsupported_media_type")
	if n := w.count(t, `SELECT count(*) FROM places`); n != places+1 {
		t.Fatalf("%d places after the imports, want %d", n, places+1)
	}
}

// POST /api/places with an outline: GeoJSON in GCJ-02 stored in WGS-84
// inside the grid, its point on the outline; an outline outside the grid or
// its parent, or in an unknown crs, 400 with nothing stored; a table with a
// WKT outline column.
func TestPlaceOutlinesOverHTTP(t *testing.T) {
	w := newInspWorld(t)
	ctx := context.Background()
	var cx, cy, r float64
	if err := w.pool.QueryRow(ctx, `SELECT ST_X(center), ST_Y(center), radius FROM units, ST_MaximumInscribedCircle(geom) WHERE code = $1`, w.grid).Scan(&cx, &cy, &r); err != nil {
		t.Fatal(err)
	}
	ring := func(x, y, h float64) string {
		return fmt.Sprintf(`[[[%[1]v,%[2]v],[%[3]v,%[2]v],[%[3]v,%[4]v],[%[1]v,%[4]v],[%[1]v,%[2]v]]]`, x-h, y-h, x+h, y+h)
	}
	resp, b := do(t, "POST", w.base+"/api/places", w.officer, fmt.Sprintf(`{"grid_code":%q,"kind":"building","name":"办公楼 Office block",
        "geometry":{"type":"Polygon","coordinates":%s},"crs":"wgs84"}`, w.grid, ring(cx, cy, r/3)))
	var block struct{ ID int64 }
	if resp.StatusCode != 201 || json.Unmarshal(b, &block) != nil {
		t.Fatalf("building with an outline: %d %s", resp.StatusCode, b)
	}
	places := w.count(t, `SELECT count(*) FROM places`)
	audits := w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'place.create'`)
	for _, c := range []struct{ what, body, says string }{
		{"outline outside the grid", fmt.Sprintf(`{"grid_code":%q,"kind":"post","name":"x","geometry":{"type":"Polygon","coordinates":%s}}`, w.grid, ring(cx+3, cy, r/3)), "outside grid"},
		{"outline outside its parent", fmt.Sprintf(`{"grid_code":%q,"parent_id":%d,"kind":"post","name":"x","geometry":{"type":"Polygon","coordinates":%s}}`, w.grid, block.ID, ring(cx+r/3, cy, r/6)), "outside its parent"},
		{"unknown crs", fmt.Sprintf(`{"grid_code":%q,"kind":"post","name":"x","geometry":{"type":"Polygon","coordinates":%s},"crs":"EPSG:3857"}`, w.grid, ring(cx, cy, r/6)), "crs"},
		{"a line as outline", fmt.Sprintf(`{"grid_code":%q,"kind":"post","name":"x","geometry":{"type":"LineString","coordinates":[[%v,%v],[%v,%v]]}}`, w.grid, cx, cy, cx+r/6, cy), "Polygon"},
		{"neither point nor outline", fmt.Sprintf(`{"grid_code":%q,"kind":"post","name":"x"}`, w.grid), "required"},
	} {
		resp, b := do(t, "POST", w.base+"/api/places", w.officer, c.body)
		wantError(t, c.what, resp, b, 400, "invalid")
		if !strings.Contains(string(b), c.says) {
			t.Errorf("%s: %s does not say %q", c.what, b, c.says)
		}
	}
	if n, a := w.count(t, `SELECT count(*) FROM places`), w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'place.create'`); n != places || a != audits {
		t.Fatalf("refused outlines stored %d places, %d audit rows", n-places, a-audits)
	}
	// A room inside the building, sent in GCJ-02 as a map app shows it:
	// about 500 m off in WGS-84 unless converted.
	h := r / 12
	var gcj [5][2]float64
	for i, p := range [][2]float64{{cx - h, cy - h}, {cx + h, cy - h}, {cx + h, cy + h}, {cx - h, cy + h}, {cx - h, cy - h}} {
		q := crs.FromWGS84(crs.GCJ02, orb.Point{p[0], p[1]})
		gcj[i] = [2]float64{q[0], q[1]}
	}
	coords, _ := json.Marshal([][][2]float64{gcj[:]})
	resp, b = do(t, "POST", w.base+"/api/places", w.officer, fmt.Sprintf(`{"grid_code":%q,"parent_id":%d,"kind":"school_lab","name":"化学实验室 Chem lab",
        "geometry":{"type":"Polygon","coordinates":%s},"crs":"gcj02"}`, w.grid, block.ID, coords))
	var room struct{ ID int64 }
	if resp.StatusCode != 201 || json.Unmarshal(b, &room) != nil {
		t.Fatalf("room in GCJ-02: %d %s", resp.StatusCode, b)
	}
	var offM float64
	var onIt bool
	if err := w.pool.QueryRow(ctx, `SELECT ST_HausdorffDistance(polygon, ST_Expand(ST_SetSRID(ST_MakePoint($2, $3), 4326), $4)),
            ST_Covers(polygon, pt) FROM places WHERE id = $1`, room.ID, cx, cy, h).Scan(&offM, &onIt); err != nil {
		t.Fatal(err)
	}
	if offM > 2e-6 || !onIt {
		t.Fatalf("room stored %g° from the WGS-84 square, point on it %v", offM, onIt)
	}
	resp, b = do(t, "GET", w.base+"/api/places?grid="+w.grid, w.officer, "")
	var list []struct {
		ID       int64
		Geometry *struct{ Type string }
	}
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil {
		t.Fatalf("places: %d %s", resp.StatusCode, b)
	}
	outlined := 0
	for _, p := range list {
		if p.Geometry != nil && p.Geometry.Type == "MultiPolygon" {
			outlined++
		}
	}
	if outlined != 2 {
		t.Fatalf("GET /api/places: %d places with an outline, want 2: %s", outlined, b)
	}
	// A table with WKT outlines, the crs as a parameter; a bad one is a 400 and stores nothing.
	table := fmt.Sprintf("name,kind,wkt,parent\n财务室,finance_room,\"POLYGON((%[1]v %[2]v,%[3]v %[2]v,%[3]v %[4]v,%[1]v %[4]v,%[1]v %[2]v))\",办公楼 Office block\n",
		cx-h, cy+2*h, cx, cy+3*h)
	if resp, b := doAs(t, "POST", w.base+"/api/places/import?grid="+w.grid+"&crs=wgs84", w.officer, "text/csv", table); resp.StatusCode != 201 {
		t.Fatalf("wkt import: %d %s", resp.StatusCode, b)
	}
	resp, b = doAs(t, "POST", w.base+"/api/places/import?grid="+w.grid+"&crs=utm", w.officer, "text/csv", table)
	wantError(t, "import in an unknown crs", resp, b, 400, "invalid")
	if n := w.count(t, `SELECT count(*) FROM places WHERE polygon IS NOT NULL`); n != 3 {
		t.Fatalf("%d places with outlines, want 3", n)
	}
}
