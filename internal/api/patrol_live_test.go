package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TestPatrolTrackTilesAndPositions: a worker-day's track is drawn in the
// vector tile it crosses (and only there), with its worker and day; the
// last position of a worker is listed with its age, and left out when older
// than the asked or configured limit.
func TestPatrolTrackTilesAndPositions(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	officer, leader, admin := tokenFor(t, base, "officer"), tokenFor(t, base, "leader"), tokenFor(t, base, "admin")
	grid, lon, lat, day := officerWalk(t, base, officer, 5, 9*time.Hour, 120, 0.003)
	date := day.Format(time.DateOnly)
	if resp, out := do(t, "POST", base+"/api/patrol/sweep", admin, `{}`); resp.StatusCode != 200 {
		t.Fatalf("sweep: %d %s", resp.StatusCode, out)
	}

	here := maptile.At(orb.Point{lon, lat}, 15)
	q := "?worker=officer&from=" + date
	resp, data := do(t, "GET", fmt.Sprintf("%s/api/patrol/tiles/%d/%d/%d.mvt%s", base, here.Z, here.X, here.Y, q), leader, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
		t.Fatalf("tile: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ls := decodeTile(t, data, here)
	if len(ls) != 1 || ls[0].Name != "tracks" || len(ls[0].Features) != 1 {
		t.Fatalf("tile layers: %+v", ls)
	}
	f := ls[0].Features[0]
	if f.Properties["worker"] != "officer" || f.Properties["day"] != date || f.Geometry.GeoJSONType() != "LineString" && f.Geometry.GeoJSONType() != "MultiLineString" {
		t.Errorf("track feature: %v %s", f.Properties, f.Geometry.GeoJSONType())
	}
	// The drawn track lies where it was walked (within a tile pixel at z15).
	if bd := f.Geometry.Bound(); bd.Min[1] < lat-0.0001 || bd.Max[1] > lat+0.0001 {
		t.Errorf("track drawn at %v, walked at lat %f", bd, lat)
	}
	// Cached: the same tile again carries its ETag and answers 304 to it; a
	// sweep that recomputes a day of the region makes a new tile.
	tileURL := fmt.Sprintf("%s/api/patrol/tiles/%d/%d/%d.mvt%s", base, here.Z, here.X, here.Y, q)
	etag := resp.Header.Get("Etag")
	if etag == "" {
		t.Fatal("track tile without an ETag")
	}
	req, _ := http.NewRequest("GET", tileURL, nil)
	req.Header.Set("Authorization", "Bearer "+leader)
	req.Header.Set("If-None-Match", etag)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 304 {
		t.Fatalf("If-None-Match of the cached tile: %v %v", r, err)
	} else {
		r.Body.Close()
	}
	officerWalk(t, base, officer, 5, 11*time.Hour, 60, 0.001)
	if resp, out := do(t, "POST", base+"/api/patrol/sweep", admin, `{}`); resp.StatusCode != 200 {
		t.Fatalf("sweep: %d %s", resp.StatusCode, out)
	}
	if r, _ := do(t, "GET", tileURL, leader, ""); r.Header.Get("Etag") == etag {
		t.Error("the track tile stayed the same after its day was recomputed with more fixes")
	}
	far := maptile.At(orb.Point{lon + 0.2, lat + 0.2}, 15)
	if resp, data := do(t, "GET", fmt.Sprintf("%s/api/patrol/tiles/%d/%d/%d.mvt%s", base, far.Z, far.X, far.Y, q), leader, ""); resp.StatusCode != 200 || len(data) != 0 {
		t.Errorf("far tile: %d, %d bytes", resp.StatusCode, len(data))
	}
	for path, want := range map[string]int{
		"/api/patrol/tiles/15/1/2" + q:                                   404, // no .mvt
		"/api/patrol/tiles/3/8/0.mvt" + q:                                400, // x beyond 2^z
		"/api/patrol/tiles/31/0/0.mvt" + q:                               400,
		"/api/patrol/tiles/15/1/2.mvt?worker=officer":                    400, // no period
		"/api/patrol/tiles/15/1/2.mvt?grid=110101001001001&from=" + date: 403,
	} {
		if resp, out := do(t, "GET", base+path, leader, ""); resp.StatusCode != want {
			t.Errorf("GET %s: %d %s, want %d", path, resp.StatusCode, out, want)
		}
	}

	// Live position: a grid worker's fix two minutes old (not the officer's:
	// other tests count the officer's recent fixes).
	var wid int64
	var who string
	if err := demoPool.QueryRow(ctx, `SELECT u.id, u.username FROM patrol_workers w JOIN users u ON u.id = w.user_id
WHERE u.username <> 'officer' ORDER BY u.username LIMIT 1`).Scan(&wid, &who); err != nil {
		t.Fatal(err)
	}
	recent := time.Now().Add(-2 * time.Minute).Truncate(time.Second)
	if _, err := demoPool.Exec(ctx, `INSERT INTO patrol_points (region_code, user_id, recorded_at, pt) VALUES (left($1, 6), $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326))`,
		grid, wid, recent, lon, lat); err != nil {
		t.Fatal(err)
	}
	positions := func(query string) map[string]float64 {
		t.Helper()
		resp, out := do(t, "GET", base+"/api/patrol/positions?unit="+grid[:6]+"000000"+query, leader, "")
		if resp.StatusCode != 200 {
			t.Fatalf("positions%s: %d %s", query, resp.StatusCode, out)
		}
		var v struct {
			Positions []struct {
				Worker string
				T      time.Time
				Lon    float64
				AgeS   float64 `json:"age_s"`
			}
		}
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		ages := map[string]float64{}
		for _, p := range v.Positions {
			ages[p.Worker] = p.AgeS
			if p.Worker == who && (!p.T.Equal(recent) || math.Abs(p.Lon-lon) > 1e-7) {
				t.Errorf("%s at %v %f, want %v %f", who, p.T, p.Lon, recent, lon)
			}
		}
		return ages
	}
	if age, ok := positions("")[who]; !ok || age < 120 || age > 600 {
		t.Errorf("%s's position: %v %v", who, age, ok)
	}
	if _, ok := positions("&max_age_s=60")[who]; ok {
		t.Error("a two-minute-old position shown under a one-minute limit")
	}
	for path, want := range map[string]int{
		"/api/patrol/positions?unit=" + grid[:6] + "000000&max_age_s=86400": 400, // above the configured 30 min
		"/api/patrol/positions?unit=abc":                                    400,
		"/api/patrol/positions?unit=110101000000":                           403,
	} {
		if resp, out := do(t, "GET", base+path, leader, ""); resp.StatusCode != want {
			t.Errorf("GET %s: %d %s, want %d", path, resp.StatusCode, out, want)
		}
	}
}
