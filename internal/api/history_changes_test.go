package api_test

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

type unitChange struct {
	At         time.Time `json:"at"`
	Code       string
	Name       string
	Level      string
	Change     string
	Version    int
	ChangedBy  *string  `json:"changed_by"`
	Reason     *string  `json:"reason"`
	AreaBefore *float64 `json:"area_before_m2"`
	AreaAfter  *float64 `json:"area_after_m2"`
}

// TestHistoryChangesWithinADay: two edits of one day are listed by their
// exact time, newest first, with who and why, and the grid map as of a time
// between them shows the first edit and not the second. Its own district:
// the edits must be the only ones after the load.
func TestHistoryChangesWithinADay(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1, Password: demoPassword})
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	t.Cleanup(srv.Close)
	base := srv.URL
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"planner","password":"`+demoPassword+`"}`)
	var login struct{ Token string }
	if json.Unmarshal(body, &login); resp.StatusCode != 200 || login.Token == "" {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	tok := login.Token
	list := func(q string) []unitChange {
		t.Helper()
		resp, body := do(t, "GET", base+"/api/history/changes?"+q, tok, "")
		if resp.StatusCode != 200 {
			t.Fatalf("changes %s: %d %s", q, resp.StatusCode, body)
		}
		var out struct{ Changes []unitChange }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out.Changes
	}
	var comm string
	if err := pool.QueryRow(t.Context(), `SELECT code FROM units WHERE level = 3 ORDER BY code LIMIT 1`).Scan(&comm); err != nil {
		t.Fatal(err)
	}
	var loaded time.Time
	if err := pool.QueryRow(t.Context(), `SELECT max(valid_from) FROM unit_versions`).Scan(&loaded); err != nil {
		t.Fatal(err)
	}
	from := loaded.Add(time.Microsecond).Format(time.RFC3339Nano)

	a, _, g := movablePair(t, communityGrids(t, pool, comm), true)
	edit := func(version int, reason string) {
		t.Helper()
		resp, body := do(t, "PUT", base+"/api/grids/"+a.code+"?mode=adjust", tok, putBody(g, version, reason))
		if resp.StatusCode != 200 {
			t.Fatalf("edit %s: %d %s", reason, resp.StatusCode, body)
		}
	}
	edit(a.version, "first edit of the day")
	first := list("from=" + url.QueryEscape(from))
	// The adjust changed a and its neighbour b: two events at one time.
	if len(first) != 2 || first[0].At != first[1].At {
		t.Fatalf("after one edit: %+v", first)
	}
	between := first[0].At
	// The second: the vertex moved back.
	g = a.geom
	edit(a.version+1, "second edit of the day")
	all := list("from=" + url.QueryEscape(from))
	if len(all) != 4 {
		t.Fatalf("after two edits: %d changes %+v", len(all), all)
	}
	for i, c := range all {
		if i > 0 && c.At.After(all[i-1].At) {
			t.Errorf("not newest first: %v after %v", c.At, all[i-1].At)
		}
		if c.Change != "changed" || c.ChangedBy == nil || *c.ChangedBy != "planner" || c.Reason == nil || c.Level != "grid" ||
			c.AreaBefore == nil || c.AreaAfter == nil || *c.AreaBefore == *c.AreaAfter {
			t.Errorf("change %d: %+v", i, c)
		}
	}
	if *all[0].Reason != "second edit of the day" || *all[3].Reason != "first edit of the day" || !all[0].At.After(between) {
		t.Errorf("order or reasons: %s … %s", *all[0].Reason, *all[3].Reason)
	}
	// Grid a's two events: the second takes back the first's area change.
	var deltas []float64
	for _, c := range all {
		if c.Code == a.code {
			deltas = append(deltas, *c.AreaAfter-*c.AreaBefore)
		}
	}
	if len(deltas) != 2 || math.Abs(deltas[0]+deltas[1]) > 1 || deltas[0] == 0 {
		t.Errorf("grid %s area changes %v: want d and -d", a.code, deltas)
	}
	// The whole day (a bare date, midnight China time) holds the load too; limit bounds it.
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	if day := list("from=" + today + "&limit=3"); len(day) != 3 || day[0].At != all[0].At {
		t.Errorf("today, limit 3: %+v", day)
	}
	var loadedToday int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM unit_versions WHERE level >= 2 AND valid_from >= $1::date::timestamp AT TIME ZONE 'Asia/Shanghai'`, today).Scan(&loadedToday); err != nil {
		t.Fatal(err)
	}
	if day := list("from=" + today + "&limit=500"); len(day) != min(loadedToday, 500) {
		t.Errorf("today: %d changes, the database has %d versions", len(day), loadedToday)
	}
	// A grid as of the time between the edits: the first edit's shape.
	fc := getGeoJSON(t, base+"/api/history/grids?parent="+comm+"&as_of="+url.QueryEscape(between.Format(time.RFC3339Nano)), tok)
	for _, f := range fc.Features {
		if f.Properties["code"] == a.code && f.Properties["reason"] != "first edit of the day" {
			t.Errorf("as of %v: %v", between, f.Properties["reason"])
		}
	}
	for _, bad := range []string{"", "from=yesterday", "from=" + today + "&limit=0", "from=" + today + "&limit=501", "from=2030-01-02&to=2030-01-01"} {
		resp, body := do(t, "GET", base+"/api/history/changes?"+bad, tok, "")
		wantError(t, "changes "+bad, resp, body, 400, "invalid")
	}
}
