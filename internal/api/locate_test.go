package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/internal/api"
	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

type locateResp struct {
	GridCode          *string `json:"grid_code"`
	GridName          string  `json:"grid_name"`
	Chain             []struct{ Code, Name, Level string }
	Staff             []struct{ Role, Name, Phone string }
	BoundaryDistanceM *float64 `json:"boundary_distance_m"`
	NearBoundary      *bool    `json:"near_boundary"`
	Nearest           *struct {
		GridCode  string  `json:"grid_code"`
		DistanceM float64 `json:"distance_m"`
	}
	Input *struct {
		Lon, Lat float64
		CRS      string
	}
	WGS84 []float64 `json:"wgs84"`
	Error string    `json:"error"`
}

// demoPoints: a point inside the first basic grid, that grid, and a vertex
// shared by several grids with PostGIS's answer for it (min code).
func demoPoints(t *testing.T) (inside orb.Point, grid string, vertex orb.Point, vertexGrid string) {
	t.Helper()
	ctx := context.Background()
	if err := demoPool.QueryRow(ctx, `SELECT code, ST_X(p), ST_Y(p) FROM (
		SELECT code, ST_PointOnSurface(geom) p FROM units WHERE level = 4 AND kind = 'basic' ORDER BY code LIMIT 1) x`).
		Scan(&grid, &inside[0], &inside[1]); err != nil {
		t.Fatal(err)
	}
	if err := demoPool.QueryRow(ctx, `
		WITH v AS (SELECT (ST_DumpPoints(geom)).geom AS p FROM units WHERE code = $1)
		SELECT ST_X(p), ST_Y(p), (SELECT min(code) FROM units u WHERE level = 4 AND ST_Intersects(u.geom, v.p))
		FROM v WHERE (SELECT count(*) FROM units u WHERE level = 4 AND ST_Intersects(u.geom, v.p)) >= 2
		ORDER BY 1, 2 LIMIT 1`, grid).Scan(&vertex[0], &vertex[1], &vertexGrid); err != nil {
		t.Fatal(err)
	}
	return
}

func locateGet(t *testing.T, base, token string, lon, lat float64, sys string) locateResp {
	t.Helper()
	url := fmt.Sprintf("%s/api/locate?lon=%v&lat=%v&crs=%s", base, lon, lat, sys)
	resp, body := do(t, "GET", url, token, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	var r locateResp
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLocateOnePoint(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "officer")
	p, grid, v, vGrid := demoPoints(t)

	r := locateGet(t, base, tok, p[0], p[1], "wgs84")
	if r.GridCode == nil || *r.GridCode != grid || r.GridName == "" || len(r.Chain) != 4 || r.Chain[3].Code != grid ||
		r.Chain[0].Level != "district" || r.BoundaryDistanceM == nil || *r.BoundaryDistanceM <= 0 || r.NearBoundary == nil {
		t.Fatalf("inside: %+v", r)
	}
	if len(r.Staff) != 3 || r.Input.CRS != "wgs84" || abs(r.WGS84[0]-p[0]) > 1e-7 {
		t.Errorf("card/input: %+v", r)
	}
	if *r.NearBoundary != (*r.BoundaryDistanceM <= 5) {
		t.Errorf("near_boundary %v at %v m", *r.NearBoundary, *r.BoundaryDistanceM)
	}

	// A vertex shared by several grids: distance 0, flagged, PostGIS's grid.
	r = locateGet(t, base, tok, v[0], v[1], "cgcs2000")
	if r.GridCode == nil || *r.GridCode != vGrid || *r.BoundaryDistanceM != 0 || !*r.NearBoundary {
		t.Errorf("vertex: %+v, want %s on the boundary", r, vGrid)
	}

	// The same place given in GCJ-02 and BD-09 lands in the same grid.
	for _, sys := range []crs.System{crs.GCJ02, crs.BD09} {
		q := crs.FromWGS84(sys, p)
		r = locateGet(t, base, tok, q[0], q[1], string(sys))
		if r.GridCode == nil || *r.GridCode != grid || abs(r.WGS84[0]-p[0]) > 1e-6 || abs(r.WGS84[1]-p[1]) > 1e-6 {
			t.Errorf("%s: %+v", sys, r)
		}
	}

	// Far outside: no grid, the nearest one and its distance.
	r = locateGet(t, base, tok, p[0]+0.2, p[1], "wgs84")
	if r.GridCode != nil || r.Nearest == nil || r.Nearest.GridCode == "" || r.Nearest.DistanceM < 1000 {
		t.Errorf("outside: %+v", r)
	}
}

func TestLocateBadInput(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "officer")
	for _, q := range []string{"lon=abc&lat=30", "lon=120&lat=91", "lon=181&lat=30", "lon=120", "lon=120&lat=30&crs=utm50",
		"lon=NaN&lat=30", "lon=120&lat=Inf"} {
		resp, body := do(t, "GET", base+"/api/locate?"+q, tok, "")
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"invalid"`) {
			t.Errorf("%s: %d %s", q, resp.StatusCode, body)
		}
	}
	for _, b := range []string{`{"points": 3}`, `{"pts": []}`, `[1,2]`, `{"points": [[1,2]], "crs": "mars"}`, `{}`} {
		resp, body := do(t, "POST", base+"/api/locate", tok, b)
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"code":"invalid"`) {
			t.Errorf("%s: %d %s", b, resp.StatusCode, body)
		}
	}
	if resp, _ := getAnonymous(t, base+"/api/locate?lon=120&lat=30"); resp.StatusCode != 401 {
		t.Errorf("anonymous: %d", resp.StatusCode)
	}
}

func TestLocateBatchJSON(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "auditor")
	p, grid, v, vGrid := demoPoints(t)
	body := fmt.Sprintf(`{"crs": "wgs84", "points": [[%v,%v], [%v,%v], [%v,%v], ["a",1], [200,30], [1], null, [%v,%v]]}`,
		p[0], p[1], v[0], v[1], p[0]+0.2, p[1], p[0], p[1])
	resp, raw := do(t, "POST", base+"/api/locate", tok, body)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, raw)
	}
	var out struct{ Results []locateResp }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Results) != 8 {
		t.Fatalf("%d results for 8 points", len(out.Results))
	}
	r := out.Results
	if r[0].GridCode == nil || *r[0].GridCode != grid || r[0].GridName == "" || r[7].GridCode == nil || *r[7].GridCode != grid {
		t.Errorf("inside: %+v / %+v", r[0], r[7])
	}
	if r[1].GridCode == nil || *r[1].GridCode != vGrid || !*r[1].NearBoundary {
		t.Errorf("vertex: %+v", r[1])
	}
	if r[2].GridCode != nil || r[2].Nearest == nil {
		t.Errorf("outside: %+v", r[2])
	}
	for i, want := range map[int]string{3: "not a number", 4: "out of range", 5: "want [lon, lat]", 6: "want [lon, lat]"} {
		if r[i].Error != want || r[i].GridCode != nil {
			t.Errorf("point %d: %+v, want error %q", i, r[i], want)
		}
	}
	// GCJ-02 batch.
	g := crs.WGS84ToGCJ02(p)
	_, raw = do(t, "POST", base+"/api/locate", tok, fmt.Sprintf(`{"points": [[%v,%v]], "crs": "gcj02"}`, g[0], g[1]))
	if err := json.Unmarshal(raw, &out); err != nil || len(out.Results) != 1 || out.Results[0].GridCode == nil || *out.Results[0].GridCode != grid {
		t.Errorf("gcj02 batch: %s", raw)
	}
}

func TestLocateBatchCSV(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "planner")
	p, grid, _, _ := demoPoints(t)
	in := fmt.Sprintf("lon,lat,id\n%v,%v,a1\nx,30,b2\n120,95,c3\n%v,%v,d4\n1,2,3,4\n", p[0], p[1], p[0]+0.2, p[1])
	resp, raw := doAs(t, "POST", base+"/api/locate", tok, "text/csv", in)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %s", resp.StatusCode, raw)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || strings.Join(rows[0], ",") != "id,lon,lat,grid_code,grid_name,boundary_distance_m,error" {
		t.Fatalf("rows %q", rows)
	}
	if r := rows[1]; r[0] != "a1" || r[3] != grid || r[4] == "" || r[5] == "" || r[6] != "" {
		t.Errorf("inside: %q", r)
	}
	if r := rows[2]; r[0] != "b2" || r[3] != "" || r[6] != "not a number" {
		t.Errorf("not a number: %q", r)
	}
	if r := rows[3]; r[0] != "c3" || r[6] != "out of range" {
		t.Errorf("out of range: %q", r)
	}
	if r := rows[4]; r[0] != "d4" || r[3] != "" || !strings.Contains(r[6], "in no grid") {
		t.Errorf("outside: %q", r)
	}
	if r := rows[5]; r[6] != "want lon,lat[,id]" {
		t.Errorf("too many fields: %q", r)
	}
	// No header, no ids: ids are row numbers; crs from the query.
	g := crs.WGS84ToGCJ02(p)
	_, raw = doAs(t, "POST", base+"/api/locate?crs=gcj02", tok, "text/csv", fmt.Sprintf("%v,%v\n%v,%v\n", g[0], g[1], g[0], g[1]))
	rows, _ = csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if len(rows) != 3 || rows[1][0] != "1" || rows[2][0] != "2" || rows[2][3] != grid {
		t.Errorf("headerless gcj02: %q", rows)
	}
}

// A batch over the limit is refused as a whole with the JSON error shape.
func TestLocateBatchLimit(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "officer")
	var js, cs strings.Builder
	js.WriteString(`{"points":[`)
	for i := range api.MaxLocatePoints + 1 {
		if i > 0 {
			js.WriteByte(',')
		}
		js.WriteString("[120.1,30.2]")
		cs.WriteString("120.1,30.2\n")
	}
	js.WriteString("]}")
	resp, body := do(t, "POST", base+"/api/locate", tok, js.String())
	if resp.StatusCode != 413 || !strings.Contains(string(body), `"code":"too_large"`) {
		t.Errorf("JSON: %d %s", resp.StatusCode, body)
	}
	resp, body = doAs(t, "POST", base+"/api/locate", tok, "text/csv", cs.String())
	if resp.StatusCode != 413 || !strings.Contains(string(body), `"code":"too_large"`) {
		t.Errorf("CSV: %d %s", resp.StatusCode, body)
	}
}

func TestLocateRoles(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	p, _, _, _ := demoPoints(t)
	for _, role := range []string{"admin", "planner", "officer", "leader", "auditor"} {
		url := fmt.Sprintf("%s/api/locate?lon=%v&lat=%v", base, p[0], p[1])
		if resp, body := do(t, "GET", url, tokenFor(t, base, role), ""); resp.StatusCode != 200 {
			t.Errorf("GET as %s: %d %s", role, resp.StatusCode, body)
		}
		if resp, body := do(t, "POST", base+"/api/locate", tokenFor(t, base, role), `{"points":[[120,30]]}`); resp.StatusCode != 200 {
			t.Errorf("POST as %s: %d %s", role, resp.StatusCode, body)
		}
	}
}

// loginAs logs in to a server of its own (tokenFor caches for the shared one).
func loginAs(t *testing.T, base, user string) string {
	t.Helper()
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+user+`","password":"`+demoPassword+`"}`)
	var r struct{ Token string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil || r.Token == "" {
		t.Fatalf("login %s: %d %s", user, resp.StatusCode, body)
	}
	return r.Token
}

// Two instances on one database, each with its own listener: a grid edited
// by any writer changes the other instance's answers within about a second.
func TestLocateFollowsEditsOnEveryInstance(t *testing.T) {
	t.Parallel()
	pool, dsn := dbtest.Demo(t, demo.Options{Grids: 20, PatrolDays: -1, Password: demoPassword})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var bases [2]string
	for i := range bases {
		hub := &changes.Hub{}
		ready := make(chan struct{})
		wg.Add(1)
		go func() { defer wg.Done(); hub.Listen(ctx, dsn, quiet, ready) }()
		<-ready
		srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Changes: hub, Static: static.FS, Logger: quiet}).Handler())
		defer srv.Close()
		bases[i] = srv.URL
	}
	toks := [2]string{loginAs(t, bases[0], "officer"), loginAs(t, bases[1], "officer")}
	var grid string
	var p orb.Point
	if err := pool.QueryRow(ctx, `SELECT code, ST_X(p), ST_Y(p) FROM (
		SELECT code, ST_PointOnSurface(geom) p FROM units WHERE level = 4 ORDER BY code LIMIT 1) x`).Scan(&grid, &p[0], &p[1]); err != nil {
		t.Fatal(err)
	}
	for i := range bases {
		if r := locateGet(t, bases[i], toks[i], p[0], p[1], "wgs84"); r.GridCode == nil || *r.GridCode != grid {
			t.Fatalf("instance %d before: %+v", i, r)
		}
	}
	// waitFor polls instance i until the answer at p satisfies ok.
	waitFor := func(i int, what string, start time.Time, ok func(locateResp) bool) time.Duration {
		t.Helper()
		for {
			r := locateGet(t, bases[i], toks[i], p[0], p[1], "wgs84")
			if ok(r) {
				return time.Since(start)
			}
			if ctx.Err() != nil {
				t.Fatalf("instance %d never saw %s; last answer %+v", i, what, r)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A hole of ~20 m around p, written by a plain SQL client: both instances
	// must answer "no grid, nearest is the edited one".
	if _, err := pool.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_Difference(geom,
		ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326), 0.0002))) WHERE code = $1`, grid, p[0], p[1]); err != nil {
		t.Fatal(err)
	}
	edited := time.Now()
	for i := range bases {
		d := waitFor(i, "the hole", edited, func(r locateResp) bool {
			return r.GridCode == nil && r.Nearest != nil && r.Nearest.GridCode == grid
		})
		t.Logf("instance %d saw the edit %v after it committed (requirement: within 1 s)", i, d)
	}
	// Restore the first version, again by plain SQL.
	if _, err := pool.Exec(ctx, `UPDATE units SET geom = (SELECT geom FROM unit_versions WHERE code = $1 AND version = 1)
		WHERE code = $1`, grid); err != nil {
		t.Fatal(err)
	}
	edited = time.Now()
	for i := range bases {
		d := waitFor(i, "the restored grid", edited, func(r locateResp) bool { return r.GridCode != nil && *r.GridCode == grid })
		t.Logf("instance %d saw the restored grid %v after it committed", i, d)
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
