package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"wangge/geo/tile/mvtdecode"
	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/hotspots"
	"wangge/internal/store"
	"wangge/static"
)

type hotspotAnswer struct {
	Features []struct {
		ID         string         `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
	Total        int     `json:"total"`
	Significance bool    `json:"significance"`
	Insufficient string  `json:"insufficient"`
	HexSize      float64 `json:"hex_size_m"`
	Weeks        []struct {
		Week  string
		Count int
	}
	Categories []struct {
		Code  string
		Count int
	}
}

// TestHotspots runs a private demo district (it writes cases) with the
// service listening for case notifications.
func TestHotspots(t *testing.T) {
	pool, dsn := dbtest.Demo(t, demo.Options{PatrolDays: -1, Password: demoPassword})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store.New(pool)
	hs := hotspots.New(st, hotspots.Options{Logger: quiet})
	ready := make(chan struct{})
	hs.Listen(ctx, dsn, ready)
	srv := httptest.NewServer(api.New(api.Options{Store: st, Static: static.FS, Logger: quiet, Hotspots: hs}).Handler())
	defer srv.Close()
	<-ready
	base := srv.URL
	tokens := map[string]string{}
	for _, u := range []string{"leader", "planner", "officer"} {
		resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+u+`","password":"`+demoPassword+`"}`)
		var r struct{ Token string }
		if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("login %s: %d %s", u, resp.StatusCode, body)
		}
		tokens[u] = r.Token
	}
	var cluster orb.Point
	if err := pool.QueryRow(ctx, `SELECT avg(ST_X(pt)), avg(ST_Y(pt)) FROM incidents WHERE title LIKE '%集市'`).Scan(&cluster[0], &cluster[1]); err != nil {
		t.Fatal(err)
	}
	to := time.Now().Add(time.Hour).UTC()
	from := to.AddDate(0, 0, -31)
	window := "from=" + url.QueryEscape(from.Format(time.RFC3339)) + "&to=" + url.QueryEscape(to.Format(time.RFC3339))
	get := func(user, query string) (*http.Response, hotspotAnswer, []byte) {
		t.Helper()
		resp, body := do(t, "GET", base+"/api/hotspots?"+query, tokens[user], "")
		var a hotspotAnswer
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(body, &a); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		return resp, a, body
	}
	// containing finds the feature whose polygon holds p.
	containing := func(a hotspotAnswer, p orb.Point) map[string]any {
		for _, f := range a.Features {
			b, _ := json.Marshal(f.Geometry)
			g, err := geojson.UnmarshalGeometry(b)
			if err != nil {
				t.Fatal(err)
			}
			switch g := g.Geometry().(type) {
			case orb.Polygon:
				if planar.PolygonContains(g, p) {
					return f.Properties
				}
			case orb.MultiPolygon:
				if planar.MultiPolygonContains(g, p) {
					return f.Properties
				}
			}
		}
		return nil
	}

	t.Run("hexagons: the planted cluster is hot at 99%", func(t *testing.T) {
		resp, a, body := get("leader", window+"&zoom=14")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "miss" {
			t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("X-Cache"), body)
		}
		if !a.Significance || a.Total < 90 || a.HexSize != 125 {
			t.Fatalf("significance %v total %d size %v: %s", a.Significance, a.Total, a.HexSize, a.Insufficient)
		}
		// The charts' series count the same cases.
		weeks, cats := 0, 0
		for _, w := range a.Weeks {
			weeks += w.Count
		}
		for _, c := range a.Categories {
			cats += c.Count
		}
		if weeks != a.Total || cats != a.Total || len(a.Categories) == 0 || a.Categories[0].Code != "cityorder" {
			t.Errorf("series: weeks %d, categories %d (%v), total %d", weeks, cats, a.Categories, a.Total)
		}
		p := containing(a, cluster)
		if p == nil || p["class"] != "hot99" || p["z"].(float64) < 3 || p["p"].(float64) > 0.01 {
			t.Fatalf("cluster hexagon: %v", p)
		}
		hot := 0
		for _, f := range a.Features {
			if f.Properties["class"] == "hot99" {
				hot++
			}
		}
		if hot > len(a.Features)/3 {
			t.Errorf("%d of %d shown hexagons hot at 99%%", hot, len(a.Features))
		}
		resp, _, _ = get("leader", window+"&zoom=14")
		if resp.Header.Get("X-Cache") != "hit" {
			t.Errorf("second request: X-Cache %s", resp.Header.Get("X-Cache"))
		}
	})

	t.Run("trend: the cluster of the last 30 days is a new hotspot", func(t *testing.T) {
		resp, a, body := get("leader", window+"&zoom=14&trend=1")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		p := containing(a, cluster)
		if p == nil || p["class"] != "hot99" || p["trend"] != "new" {
			t.Fatalf("cluster hexagon with trend: %v", p)
		}
		for _, f := range a.Features {
			if tr := f.Properties["trend"]; tr != "none" && tr != "new" {
				t.Errorf("hexagon %s trend %v: the demo has no earlier cluster", f.ID, tr)
			}
		}
	})

	t.Run("grids: counts, rates and the cluster's grid", func(t *testing.T) {
		resp, a, body := get("leader", window+"&bins=grid")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var grids int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM units WHERE level = 4`).Scan(&grids); err != nil {
			t.Fatal(err)
		}
		if len(a.Features) != grids {
			t.Errorf("%d features for %d grids", len(a.Features), grids)
		}
		p := containing(a, cluster)
		if p == nil || !strings.HasPrefix(p["class"].(string), "hot") || p["count"].(float64) < 10 {
			t.Fatalf("cluster grid: %v", p)
		}
		if r, ok := p["rate_per_1000"].(float64); ok {
			if want := 1000 * p["count"].(float64) / p["residents"].(float64); r-want > 1e-3 || want-r > 1e-3 {
				t.Errorf("rate %v, want %v", r, want)
			}
		}
		resp, _, body = get("leader", window+"&bins=grid&value=rate")
		if resp.StatusCode != 200 {
			t.Fatalf("rate map: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("too few cases: no significance claimed", func(t *testing.T) {
		resp, a, body := get("leader", window+"&type=emergency&category=safety.gas")
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if a.Significance || a.Insufficient == "" {
			t.Fatalf("%d cases: significance %v %q", a.Total, a.Significance, a.Insufficient)
		}
		for _, f := range a.Features {
			if f.Properties["class"] != "none" || f.Properties["p"] != nil {
				t.Fatalf("feature %v with too few cases", f.Properties)
			}
		}
	})

	t.Run("bad input", func(t *testing.T) {
		var district, street, otherStreet string
		if err := pool.QueryRow(ctx, `SELECT min(code) FILTER (WHERE level = 1), min(code) FILTER (WHERE level = 2),
                max(code) FILTER (WHERE level = 2) FROM units`).Scan(&district, &street, &otherStreet); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			user, query string
			status      int
			reason      string
		}{
			{"leader", "from=2025-01-01&to=2026-03-01", 400, "366"},
			{"leader", window + "&zoom=9", 400, "zoom"},
			{"leader", window + "&zoom=17", 400, "zoom"},
			{"leader", window + "&category=no.such", 400, "category"},
			{"leader", window + "&type=urgent", 400, "type"},
			{"leader", window + "&bins=square", 400, "bins"},
			{"leader", window + "&trend=yes", 400, "trend"},
			{"leader", "from=2026-03-01&to=2026-02-01", 400, "before"},
			{"leader", window + "&parent=abc", 400, "parent"},
			{"leader", window + "&parent=" + district[:9] + "999", 404, ""},
			{"planner", window + "&parent=" + district, 403, ""},
			{"planner", window + "&parent=" + street, 200, ""},
			{"officer", window, 403, ""},
		}
		if street != otherStreet {
			cases = append(cases, struct {
				user, query string
				status      int
				reason      string
			}{"planner", window + "&parent=" + otherStreet, 403, ""})
		}
		for _, c := range cases {
			resp, _, body := get(c.user, c.query)
			if resp.StatusCode != c.status || !strings.Contains(string(body), c.reason) {
				t.Errorf("%s %s: %d %s, want %d mentioning %q", c.user, c.query, resp.StatusCode, body, c.status, c.reason)
			}
		}
	})

	t.Run("tiles: same parameters, cached, ETag", func(t *testing.T) {
		tl := maptile.At(cluster, 14)
		path := base + "/tiles/hotspots/14/" + strconv.Itoa(int(tl.X)) + "/" + strconv.Itoa(int(tl.Y)) + ".mvt?" + window
		resp, body := do(t, "GET", path, tokens["leader"], "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.mapbox-vector-tile" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		layers, err := mvtdecode.DecodeStrict(body)
		if err != nil || len(layers) != 1 || layers[0].Name != "hotspots" || len(layers[0].Features) == 0 {
			t.Fatalf("tile: %v %v", err, layers)
		}
		hot := false
		for _, f := range layers[0].Features {
			hot = hot || f.Properties["class"] == "hot99"
		}
		if !hot {
			t.Error("no hot99 hexagon in the cluster's tile")
		}
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tokens["leader"])
		req.Header.Set("If-None-Match", resp.Header.Get("Etag"))
		r2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		if r2.StatusCode != 304 {
			t.Errorf("If-None-Match: %d", r2.StatusCode)
		}
		resp, body = do(t, "GET", path+"&category=no.such", tokens["leader"], "")
		if resp.StatusCode != 400 || !strings.Contains(string(body), "category") {
			t.Errorf("bad category tile: %d %s", resp.StatusCode, body)
		}
	})

	t.Run("a new case in the window drops the cached map", func(t *testing.T) {
		_, before, _ := get("leader", window+"&zoom=14")
		if _, err := pool.Exec(ctx, `INSERT INTO incidents (region_code, type, category, title, pt, reported_at, source)
                SELECT region_code, 'routine', 'cityorder.stall', '新案件', ST_SetSRID(ST_MakePoint($1, $2), 4326), now() - interval '1 day', 'demo'
                FROM units WHERE level = 1 LIMIT 1`, cluster[0], cluster[1]); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, after, _ := get("leader", window+"&zoom=14")
			if resp.Header.Get("X-Cache") == "miss" {
				if after.Total != before.Total+1 {
					t.Errorf("total %d after one more case, was %d", after.Total, before.Total)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("cached map not dropped after a case was added")
			}
			time.Sleep(50 * time.Millisecond)
		}
		// A case outside the window leaves the map cached.
		n := hs.Applied()
		tag, err := pool.Exec(ctx, `UPDATE incidents SET title = title || '.' WHERE reported_at < $1`, from.Add(-24*time.Hour))
		if err != nil || tag.RowsAffected() == 0 {
			t.Fatalf("update before the window: %v, %d rows", err, tag.RowsAffected())
		}
		for hs.Applied() == n {
			if time.Now().After(deadline) {
				t.Fatal("notification of the update not received")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if resp, _, _ := get("leader", window+"&zoom=14"); resp.Header.Get("X-Cache") != "hit" {
			t.Errorf("a change before the window dropped the map: %s", resp.Header.Get("X-Cache"))
		}
	})
}
