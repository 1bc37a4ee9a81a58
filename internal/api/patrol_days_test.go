package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPatrolDaysGapsAndSweepOverHTTP(t *testing.T) {
	base := demoServer(t)
	officer, leader, admin := tokenFor(t, base, "officer"), tokenFor(t, base, "leader"), tokenFor(t, base, "admin")
	// Half an hour eastwards at 0.8 m/s through the officer's grid.
	grid, _, _, day := officerWalk(t, base, officer, 3, 10*time.Hour, 180, 0.005)
	date := day.Format(time.DateOnly)
	// Uploading for someone else is not a thing the batch can say.
	if resp, out := do(t, "POST", base+"/api/patrol/points", officer, `{"user_id":1,"points":[]}`); resp.StatusCode != 400 {
		t.Errorf("batch naming a user: %d %s", resp.StatusCode, out)
	}

	if resp, out := do(t, "POST", base+"/api/patrol/sweep", leader, `{}`); resp.StatusCode != 403 {
		t.Errorf("leader sweep: %d %s", resp.StatusCode, out)
	}
	resp, out := do(t, "POST", base+"/api/patrol/sweep", admin, `{}`)
	var sw struct{ Sweep struct{ Computed int } }
	if resp.StatusCode != 200 || json.Unmarshal(out, &sw) != nil || sw.Sweep.Computed < 1 {
		t.Fatalf("sweep: %d %s", resp.StatusCode, out)
	}
	if resp, out := do(t, "PUT", base+"/api/patrol/targets/"+grid[:12], admin, `{"daily_hours":25}`); resp.StatusCode != 400 {
		t.Errorf("25 h target: %d %s", resp.StatusCode, out)
	}
	if resp, out := do(t, "PUT", base+"/api/patrol/targets/"+grid[:6]+"000000", admin, `{"daily_hours":0.25}`); resp.StatusCode != 200 {
		t.Fatalf("target: %d %s", resp.StatusCode, out)
	}

	get := func(path string, want int, v any) {
		t.Helper()
		resp, out := do(t, "GET", base+path, leader, "")
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, out, want)
		}
		if v != nil {
			if err := json.Unmarshal(out, v); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
		}
	}
	var days struct {
		Days []struct {
			Worker        string
			DistanceM     float64  `json:"distance_m"`
			PatrolSeconds float64  `json:"patrol_seconds"`
			CoverageRatio *float64 `json:"coverage_ratio"`
			MetTarget     *bool    `json:"met_target"`
			Trips         []struct{ Start time.Time }
		}
	}
	get("/api/patrol/days?worker=officer&from="+date, 200, &days)
	if len(days.Days) != 1 {
		t.Fatalf("days: %+v", days)
	}
	dd := days.Days[0]
	if dd.PatrolSeconds < 1790 || dd.DistanceM < 1400 || dd.MetTarget == nil || !*dd.MetTarget || dd.CoverageRatio == nil || *dd.CoverageRatio <= 0 {
		t.Errorf("day: %+v", dd)
	}
	get("/api/patrol/days?grid="+grid+"&from="+date+"&to="+date, 200, &days)
	if len(days.Days) != 1 || days.Days[0].Worker != "officer" {
		t.Errorf("grid days: %+v", days)
	}
	var fc struct {
		Type     string
		Features []struct {
			Geometry   struct{ Type string }
			Properties map[string]any
		}
		Summary map[string]any
	}
	get("/api/patrol/gaps?grid="+grid+"&from="+date+"&radius_m=30", 200, &fc)
	if fc.Type != "FeatureCollection" || len(fc.Features) == 0 || fc.Summary["gap_area_m2"].(float64) >= fc.Summary["unit_area_m2"].(float64) {
		t.Errorf("gaps: %d features, summary %v", len(fc.Features), fc.Summary)
	}
	get("/api/patrol/tracks?worker=officer&from="+date+"&z=14", 200, &fc)
	if len(fc.Features) != 1 || fc.Features[0].Geometry.Type != "MultiLineString" {
		t.Errorf("tracks: %+v", fc.Features)
	}
	var pb struct{ Fixes []struct{ T time.Time } }
	get("/api/patrol/playback?worker=officer&date="+date, 200, &pb)
	if len(pb.Fixes) != 180 || !pb.Fixes[0].T.Equal(day.Add(10*time.Hour)) {
		t.Errorf("playback: %d fixes", len(pb.Fixes))
	}
	var sum struct {
		Workers []struct {
			Worker     string
			DaySeconds float64 `json:"day_seconds"`
		}
		NotPatrolled []string `json:"not_patrolled"`
	}
	get("/api/patrol/summary?unit="+grid[:6]+"000000&date="+date, 200, &sum)
	found := false
	for _, w := range sum.Workers {
		if w.Worker == "officer" && w.DaySeconds >= 1790 {
			found = true
		}
	}
	if !found || len(sum.NotPatrolled) == 0 {
		t.Errorf("summary: %+v", sum)
	}

	// Bad input: a clear 400, and the roles that may not read patrols.
	for _, path := range []string{
		"/api/patrol/days?worker=officer",
		"/api/patrol/days?from=" + date,
		"/api/patrol/days?worker=officer&grid=" + grid + "&from=" + date,
		"/api/patrol/days?worker=officer&from=" + date + "&to=2000-01-01",
		"/api/patrol/days?worker=officer&from=2026-01-01&to=2026-12-31",
		"/api/patrol/gaps?grid=" + grid + "&from=" + date + "&radius_m=NaN",
		"/api/patrol/gaps?grid=" + grid + "&from=" + date + "&radius_m=5000",
		"/api/patrol/gaps?grid=abc&from=" + date,
		"/api/patrol/playback?worker=officer&date=" + url.QueryEscape("3 May"),
		"/api/patrol/summary?unit=x",
	} {
		if resp, out := do(t, "GET", base+path, leader, ""); resp.StatusCode != 400 || !strings.Contains(string(out), `"error"`) {
			t.Errorf("GET %s: %d %s, want 400", path, resp.StatusCode, out)
		}
	}
	get("/api/patrol/days?worker=nobody&from="+date, 404, nil)
	for _, role := range []string{"planner", "officer", "auditor"} {
		if resp, _ := do(t, "GET", base+"/api/patrol/days?worker=officer&from="+date, tokenFor(t, base, role), ""); resp.StatusCode != 403 {
			t.Errorf("%s reads patrol days: %d", role, resp.StatusCode)
		}
	}
}

// officerWalk uploads, as the officer, n fixes 10 s apart walking east at
// 0.8 m/s from west degrees west of a point of the officer's grid, from hour
// h of the China day daysAgo days back. It returns the grid, the point and
// the day.
func officerWalk(t *testing.T, base, officer string, daysAgo int, h time.Duration, n int, west float64) (grid string, lon, lat float64, day time.Time) {
	t.Helper()
	if err := demoPool.QueryRow(context.Background(), `
SELECT u.code, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom))
FROM users s JOIN units u ON u.code = s.unit_code WHERE s.username = 'officer'`).Scan(&grid, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	cst := time.FixedZone("CST", 8*3600)
	y, m, d := time.Now().In(cst).AddDate(0, 0, -daysAgo).Date()
	day = time.Date(y, m, d, 0, 0, 0, 0, cst)
	var b strings.Builder
	b.WriteString(`{"points":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"t":%q,"lon":%.7f,"lat":%.7f,"accuracy_m":5}`, day.Add(h+time.Duration(i)*10*time.Second).Format(time.RFC3339), lon-west+float64(i)*8/96000, lat)
	}
	b.WriteString(`]}`)
	if resp, out := do(t, "POST", base+"/api/patrol/points", officer, b.String()); resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, out)
	}
	return grid, lon, lat, day
}
