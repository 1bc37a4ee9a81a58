package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestCamerasAndBlindSpots: a grid with no camera is blind all over; a
// camera's view takes its sector out, as PostGIS measures the same sector;
// a camera sent again is the same camera; a file loads all rows or none,
// listing every bad row.
func TestCamerasAndBlindSpots(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	planner, leader := tokenFor(t, base, "planner"), tokenFor(t, base, "leader")
	var grid string
	var lon, lat float64
	if err := demoPool.QueryRow(ctx, `
SELECT u.code, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom))
FROM units u WHERE u.level = 4 AND NOT EXISTS (SELECT 1 FROM cameras c WHERE c.view && u.geom)
ORDER BY ST_Area(u.geom) DESC LIMIT 1`).Scan(&grid, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	type blind struct {
		Features []struct {
			Properties struct {
				AreaM2 float64 `json:"area_m2"`
			}
		}
		Summary struct {
			UnitArea  float64 `json:"unit_area_m2"`
			BlindArea float64 `json:"blind_area_m2"`
			Cameras   int
		}
	}
	spots := func() blind {
		t.Helper()
		resp, out := do(t, "GET", base+"/api/patrol/blind-spots?grid="+grid, leader, "")
		var b blind
		if resp.StatusCode != 200 || json.Unmarshal(out, &b) != nil {
			t.Fatalf("blind spots: %d %s", resp.StatusCode, out)
		}
		return b
	}
	if b := spots(); b.Summary.Cameras != 0 || math.Abs(b.Summary.BlindArea-b.Summary.UnitArea) > 1 {
		t.Fatalf("no camera: %+v", b.Summary)
	}

	cam := fmt.Sprintf(`{"name":"北门 1号","lon":%.7f,"lat":%.7f,"azimuth":45,"angle":90,"range_m":60}`, lon, lat)
	resp, out := do(t, "POST", base+"/api/cameras", planner, cam)
	var made struct{ ID int64 }
	if resp.StatusCode != 201 || json.Unmarshal(out, &made) != nil || made.ID == 0 {
		t.Fatalf("camera: %d %s", resp.StatusCode, out)
	}
	if resp, out := do(t, "POST", base+"/api/cameras", planner, cam); resp.StatusCode != 200 || !strings.Contains(string(out), fmt.Sprint(made.ID)) {
		t.Errorf("the same camera again: %d %s", resp.StatusCode, out)
	}
	var n int
	if err := demoPool.QueryRow(ctx, `SELECT count(*) FROM cameras WHERE name = '北门 1号' AND grid_code = $1`, grid).Scan(&n); err != nil || n != 1 {
		t.Fatalf("stored %d cameras: %v", n, err)
	}
	// The seen part, measured independently: the grid ∩ a PostGIS sector of
	// the same camera (azimuth 45° ± 45°: ST_Project along the arc every degree).
	var seen float64
	if err := demoPool.QueryRow(ctx, `
WITH c AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS p),
arc AS (SELECT ST_MakePolygon(ST_MakeLine(ARRAY[c.p::geometry] || array_agg(ST_Project(c.p, 60, radians(a))::geometry ORDER BY a) || c.p::geometry)) AS g
        FROM c, generate_series(0, 90) a GROUP BY c.p)
SELECT ST_Area(ST_Intersection(u.geom, arc.g)::geography) FROM units u, arc WHERE u.code = $3`, lon, lat, grid).Scan(&seen); err != nil {
		t.Fatal(err)
	}
	b := spots()
	if got := b.Summary.UnitArea - b.Summary.BlindArea; b.Summary.Cameras != 1 || math.Abs(got-seen) > 0.01*seen+1 {
		t.Errorf("seen %.1f m², PostGIS %.1f m² (%+v)", got, seen, b.Summary)
	}

	// A file: two good rows load; a file with bad rows stores nothing.
	good := fmt.Sprintf("名称,经度,纬度,方向,视角,距离\n南门,%.7f,%.7f,180,120,40\n东侧,%.7f,%.7f,90,60,30\n", lon, lat, lon, lat)
	resp, out = uploadTo(t, base+"/api/cameras/import", planner, "cams.csv", []byte(good), nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(out), `"created":2`) {
		t.Fatalf("import: %d %s", resp.StatusCode, out)
	}
	if resp, out := uploadTo(t, base+"/api/cameras/import", planner, "cams.csv", []byte(good), nil, ""); resp.StatusCode != 200 || !strings.Contains(string(out), `"updated":2`) {
		t.Errorf("import again: %d %s", resp.StatusCode, out)
	}
	x := excelize.NewFile()
	for i, row := range [][]any{{"name", "lon", "lat", "azimuth", "angle", "range_m"}, {"西侧", lon, lat, 270, 45, 25}} {
		_ = x.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &row)
	}
	var xb bytes.Buffer
	_ = x.Write(&xb)
	if resp, out := uploadTo(t, base+"/api/cameras/import", planner, "cams.xlsx", xb.Bytes(), nil, ""); resp.StatusCode != 200 || !strings.Contains(string(out), `"created":1`) {
		t.Errorf("xlsx import: %d %s", resp.StatusCode, out)
	}
	count := func() int {
		var n int
		_ = demoPool.QueryRow(ctx, `SELECT count(*) FROM cameras`).Scan(&n)
		return n
	}
	before := count()
	bad := fmt.Sprintf("名称,经度,纬度,方向,视角,距离\n好的,%.7f,%.7f,10,10,10\n坏方向,%.7f,%.7f,400,10,10\n坏经度,abc,%.7f,10,10,10\n太远,%.7f,%.7f,10,10,900\n", lon, lat, lon, lat, lat, lon, lat)
	resp, out = uploadTo(t, base+"/api/cameras/import", planner, "bad.csv", []byte(bad), nil, "")
	if resp.StatusCode != 422 || !strings.Contains(string(out), "row 3") || !strings.Contains(string(out), "row 4") || !strings.Contains(string(out), "row 5") {
		t.Errorf("bad file: %d %s", resp.StatusCode, out)
	}
	outside := "name,lon,lat,azimuth,angle,range_m\n海上,121.9,29.0,0,90,50\n"
	if resp, out := uploadTo(t, base+"/api/cameras/import", planner, "far.csv", []byte(outside), nil, ""); resp.StatusCode != 400 || !strings.Contains(string(out), "no grid") {
		t.Errorf("camera in no grid: %d %s", resp.StatusCode, out)
	}
	if resp, out := uploadTo(t, base+"/api/cameras/import", planner, "cols.csv", []byte("name,lon\nx,1\n"), nil, ""); resp.StatusCode != 400 || !strings.Contains(string(out), "missing columns") {
		t.Errorf("missing columns: %d %s", resp.StatusCode, out)
	}
	if after := count(); after != before {
		t.Errorf("refused files stored %d cameras", after-before)
	}
	for _, body := range []string{`{"name":"","lon":120,"lat":30,"azimuth":0,"angle":90,"range_m":10}`, `{"name":"x","lon":120,"lat":30,"azimuth":0,"angle":90,"range_m":10,"extra":1}`, `{"name":"x","lon":120,"lat":30,"azimuth":0,"angle":90}`} {
		if resp, out := do(t, "POST", base+"/api/cameras", planner, body); resp.StatusCode != 400 {
			t.Errorf("POST %s: %d %s", body, resp.StatusCode, out)
		}
	}
	if resp, _ := do(t, "POST", base+"/api/cameras", leader, cam); resp.StatusCode != 403 {
		t.Errorf("leader placing a camera: %d", resp.StatusCode)
	}

	resp, out = do(t, "GET", base+"/api/cameras?unit="+grid, leader, "")
	var fc struct {
		Features []struct {
			Geometry   struct{ Type string }
			Properties map[string]any
		}
	}
	if resp.StatusCode != 200 || json.Unmarshal(out, &fc) != nil || len(fc.Features) != 4 || fc.Features[0].Geometry.Type != "Polygon" {
		t.Errorf("cameras: %d %s", resp.StatusCode, out)
	}
	if resp, _ := do(t, "GET", base+"/api/cameras?unit=110101000000", leader, ""); resp.StatusCode != 403 {
		t.Errorf("cameras of another district: %d", resp.StatusCode)
	}
}
