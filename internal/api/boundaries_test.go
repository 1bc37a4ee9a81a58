package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

// The edit tests get their own demo district (the shared one is read-only);
// each test works in its own community so they can run in parallel.
var (
	editOnce sync.Once
	editURL  string
	editPool *pgxpool.Pool
	editComm []string
)

func editServer(t *testing.T) (string, *pgxpool.Pool) {
	t.Helper()
	editOnce.Do(func() {
		pool, _ := dbtest.Demo(dbtest.Keep(t), demo.Options{PatrolDays: 1, Password: demoPassword})
		st := store.New(pool)
		if _, err := st.PutUser(context.Background(), pool, store.NewUser{Username: "planner2", Password: demoPassword, Role: "planner", Unit: firstCommunityOf(t, pool)}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.New(api.Options{Store: st, Static: static.FS, Logger: quiet}).Handler())
		editURL, editPool = srv.URL, pool
		rows, err := pool.Query(context.Background(), `SELECT code FROM units WHERE level = 3 ORDER BY code`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var c string
			rows.Scan(&c)
			editComm = append(editComm, c)
		}
		rows.Close()
	})
	if editURL == "" {
		t.Fatal("edit server did not start")
	}
	return editURL, editPool
}

func firstCommunityOf(t *testing.T, pool *pgxpool.Pool) string {
	var c string
	if err := pool.QueryRow(context.Background(), `SELECT code FROM units WHERE level = 3 ORDER BY code LIMIT 1`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	editTokMu sync.Mutex
	editToks  = map[string]string{}
)

func editToken(t *testing.T, base, user string) string {
	t.Helper()
	editTokMu.Lock()
	defer editTokMu.Unlock()
	if tok, ok := editToks[user]; ok {
		return tok
	}
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+user+`","password":"`+demoPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d %s", user, resp.StatusCode, body)
	}
	var r struct{ Token string }
	json.Unmarshal(body, &r)
	editToks[user] = r.Token
	return r.Token
}

type egrid struct {
	code, kind string
	version    int
	geom       orb.MultiPolygon
}

func communityGrids(t *testing.T, pool *pgxpool.Pool, comm string) []egrid {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code, kind, version, ST_AsBinary(geom) FROM units WHERE level = 4 AND parent_code = $1 ORDER BY code`, comm)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []egrid
	for rows.Next() {
		var g egrid
		var b []byte
		if err := rows.Scan(&g.code, &g.kind, &g.version, &b); err != nil {
			t.Fatal(err)
		}
		x, _ := wkb.Unmarshal(b)
		g.geom = x.(orb.MultiPolygon)
		out = append(out, g)
	}
	return out
}

func hasVertex(g orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range g {
		for _, r := range poly {
			for _, q := range r {
				if q == p {
					return true
				}
			}
		}
	}
	return false
}

// movablePair finds basic grids a, b sharing a vertex no third grid has, and
// a's shape with that vertex moved metres toward b's (or, when away, a's) centre.
func movablePair(t *testing.T, gs []egrid, intoB bool) (egrid, egrid, orb.MultiPolygon) {
	t.Helper()
	for _, a := range gs {
		for _, b := range gs {
			if a.code == b.code || a.kind != "basic" || b.kind != "basic" {
				continue
			}
			for _, v := range a.geom[0][0] {
				n := 0
				for _, o := range gs {
					if hasVertex(o.geom, v) {
						n++
					}
				}
				if n != 2 || !hasVertex(b.geom, v) {
					continue
				}
				dir := b.geom.Bound().Center()
				if !intoB {
					dir = a.geom.Bound().Center()
				}
				for _, m := range []float64{30, 15, 8} {
					g := moveVertexTo(a.geom, v, towardM(v, dir, m))
					if coverage.CheckGeometry(g) == nil {
						return a, b, g
					}
				}
			}
		}
	}
	t.Fatal("no movable shared vertex")
	return egrid{}, egrid{}, nil
}

func moveVertexTo(g orb.MultiPolygon, from, to orb.Point) orb.MultiPolygon {
	out := orb.MultiPolygon{}
	for _, p := range g {
		np := orb.Polygon{}
		for _, r := range p {
			nr := orb.Ring{}
			for _, q := range r {
				if q == from {
					q = to
				}
				nr = append(nr, q)
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

func towardM(p, q orb.Point, m float64) orb.Point {
	kx := math.Cos(p[1]*math.Pi/180) * 111320
	dx, dy := (q[0]-p[0])*kx, (q[1]-p[1])*111320
	d := math.Hypot(dx, dy)
	return orb.Point{p[0] + dx/d*m/kx, p[1] + dy/d*m/111320}
}

func putBody(g orb.Geometry, version int, reason string) string {
	b, _ := json.Marshal(map[string]any{"geometry": geojson.NewGeometry(g), "version": version, "reason": reason})
	return string(b)
}

// assertValid checks the community with the SQL validator (through the API)
// and with geo/coverage.
func assertValid(t *testing.T, base, tok string, pool *pgxpool.Pool, comm string) {
	t.Helper()
	resp, body := do(t, "GET", base+"/api/validation?parent="+comm, tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("validation: %d %s", resp.StatusCode, body)
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil || len(fc.Features) != 0 {
		t.Errorf("SQL validator after the edit: %v %s", err, body)
	}
	gs := communityGrids(t, pool, comm)
	members := make([]orb.Geometry, len(gs))
	for i, g := range gs {
		members[i] = g.geom
	}
	var pb []byte
	pool.QueryRow(context.Background(), `SELECT ST_AsBinary(geom) FROM units WHERE code = $1`, comm).Scan(&pb)
	parent, _ := wkb.Unmarshal(pb)
	for _, d := range coverage.Validate(members, parent, coverage.Options{}).Defects {
		if d.Kind == coverage.InvalidEdge || d.Size >= 1 {
			t.Errorf("geo/coverage: %s %v %.2f: %s", d.Kind, d.Features, d.Size, d.Message)
		}
	}
}

type editReply struct {
	Code    string `json:"code"`
	Changed []struct {
		Code   string            `json:"code"`
		Before *geojson.Geometry `json:"before"`
		After  *geojson.Geometry `json:"after"`
	} `json:"changed"`
	Moved  map[string]int `json:"moved"`
	DryRun bool           `json:"dry_run"`
}

func TestPlannerMovesSharedBoundaryInAdjustMode(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[0]
	tok := editToken(t, base, "planner")
	before := time.Now()
	time.Sleep(10 * time.Millisecond)
	a, b, g := movablePair(t, communityGrids(t, pool, comm), true)
	resp, body := do(t, "PUT", base+"/api/grids/"+a.code+"?mode=adjust", tok, putBody(g, a.version, "street widened"))
	if resp.StatusCode != 200 {
		t.Fatalf("adjust: %d %s", resp.StatusCode, body)
	}
	var r editReply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	changed := map[string]bool{}
	for _, c := range r.Changed {
		changed[c.Code] = true
		if c.Before == nil || c.After == nil {
			t.Errorf("change %s lacks before/after", c.Code)
		}
	}
	if !changed[a.code] || !changed[b.code] || r.DryRun {
		t.Fatalf("reply %s", body)
	}
	if _, ok := r.Moved["households"]; !ok {
		t.Errorf("moved %v", r.Moved)
	}
	assertValid(t, base, tok, pool, comm)

	// History: as of before the edit, a has its old shape; versions lists both; the diff names a and b.
	fc := getGeoJSON(t, base+"/api/history/grids?parent="+comm+"&as_of="+before.Format(time.RFC3339Nano), tok)
	found := false
	for _, f := range fc.Features {
		if f.Properties["code"] == a.code {
			found = true
			if !sameRounded(f.Geometry, a.geom) {
				t.Errorf("as_of geometry of %s is not the old one", a.code)
			}
		}
	}
	if !found {
		t.Errorf("as_of lacks %s", a.code)
	}
	vs := getGeoJSON(t, base+"/api/grids/"+a.code+"/versions", tok)
	if len(vs.Features) < 2 || vs.Features[len(vs.Features)-1].Properties["reason"] != "street widened" ||
		vs.Features[len(vs.Features)-1].Properties["changed_by"] != "planner" {
		t.Errorf("versions: %d, last %v", len(vs.Features), vs.Features[len(vs.Features)-1].Properties)
	}
	diff := getGeoJSON(t, base+"/api/history/diff?parent="+comm+"&from="+before.Format(time.RFC3339Nano), tok)
	dc := map[string]any{}
	for _, f := range diff.Features {
		dc[f.Properties["code"].(string)] = f.Properties["change"]
		// The area gained less the area lost is the change of area; each side has its households counted.
		p := f.Properties
		before, _ := p["area_before_m2"].(float64)
		after, _ := p["area_after_m2"].(float64)
		added, _ := p["added_m2"].(float64)
		removed, _ := p["removed_m2"].(float64)
		if math.Abs((after-before)-(added-removed)) > 1 || (added <= 0 && removed <= 0) {
			t.Errorf("diff %s: area %.1f → %.1f, added %.1f, removed %.1f", p["code"], before, after, added, removed)
		}
		if _, ok := p["households_gained"].(float64); !ok {
			t.Errorf("diff %s: households_gained %v", p["code"], p["households_gained"])
		}
		if _, ok := p["households_lost"].(float64); !ok {
			t.Errorf("diff %s: households_lost %v", p["code"], p["households_lost"])
		}
	}
	if dc[a.code] != "changed" || dc[b.code] != "changed" {
		t.Errorf("diff %v", dc)
	}
	if resp, body := do(t, "GET", base+"/api/history/grids?as_of=yesterday", tok, ""); resp.StatusCode != 400 {
		t.Errorf("bad as_of: %d %s", resp.StatusCode, body)
	}
}

// sameRounded compares geometries vertex by vertex at GeoJSON's 7 decimals.
func sameRounded(a, b orb.Geometry) bool {
	ra, _ := json.Marshal(geojson.NewGeometry(a))
	rb, _ := json.Marshal(geojson.NewGeometry(b))
	var x, y struct{ Coordinates [][][][2]float64 }
	if json.Unmarshal(ra, &x) != nil || json.Unmarshal(rb, &y) != nil || len(x.Coordinates) != len(y.Coordinates) {
		return false
	}
	for i := range x.Coordinates {
		for j := range x.Coordinates[i] {
			if len(x.Coordinates[i][j]) != len(y.Coordinates[i][j]) {
				return false
			}
			for k, p := range x.Coordinates[i][j] {
				q := y.Coordinates[i][j][k]
				if math.Abs(p[0]-q[0]) > 1e-7 || math.Abs(p[1]-q[1]) > 1e-7 {
					return false
				}
			}
		}
	}
	return true
}

func getGeoJSON(t *testing.T, url, tok string) *geojson.FeatureCollection {
	t.Helper()
	resp, body := do(t, "GET", url, tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return fc
}

func TestStrictRefusesOverlapWithGeometry(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[1]
	tok := editToken(t, base, "admin")
	a, b, g := movablePair(t, communityGrids(t, pool, comm), true)
	resp, body := do(t, "PUT", base+"/api/grids/"+a.code+"?mode=strict", tok, putBody(g, a.version, "try"))
	if resp.StatusCode != 422 {
		t.Fatalf("strict: %d %s", resp.StatusCode, body)
	}
	var e struct {
		Error struct {
			Code    string
			Details *geojson.FeatureCollection
		}
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "topology" || e.Error.Details == nil {
		t.Fatalf("%v %s", err, body)
	}
	var overlap bool
	for _, f := range e.Error.Details.Features {
		if f.Properties["kind"] == "overlap" && strings.Contains(fmt.Sprint(f.Properties["codes"]), b.code) {
			overlap = true
			if _, ok := f.Geometry.(orb.Polygon); !ok || f.Properties.MustFloat64("size") < 1 || f.Properties["unit"] != "m2" {
				t.Errorf("overlap feature %T %v", f.Geometry, f.Properties)
			}
		}
	}
	if !overlap {
		t.Errorf("no overlap with %s in %s", b.code, body)
	}
	for _, g2 := range communityGrids(t, pool, comm) {
		if g2.code == a.code && g2.version != a.version {
			t.Errorf("version %d after refusal", g2.version)
		}
	}
	// Delete in strict mode leaves a gap: refused.
	if resp, body := do(t, "DELETE", base+"/api/grids/"+b.code+"?mode=strict&version="+fmt.Sprint(b.version), tok, ""); resp.StatusCode != 422 || !strings.Contains(string(body), `"gap"`) {
		t.Errorf("strict delete: %d %s", resp.StatusCode, body)
	}
}

func TestConcurrentNeighbourEditsOneWins(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[2]
	tok := editToken(t, base, "planner")
	gs := communityGrids(t, pool, comm)
	a, b, ga := movablePair(t, gs, true)
	// b's edit: push the same shared vertex into a.
	var v orb.Point
	for _, p := range a.geom[0][0] {
		if hasVertex(b.geom, p) && !hasVertex(ga, p) {
			v = p
		}
	}
	gb := moveVertexTo(b.geom, v, towardM(v, a.geom.Bound().Center(), 8))
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, e := range []struct {
		g egrid
		m orb.MultiPolygon
	}{{a, ga}, {b, gb}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := do(t, "PUT", base+"/api/grids/"+e.g.code+"?mode=adjust", tok, putBody(e.m, e.g.version, "race"))
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	if !(codes[0] == 200 && codes[1] == 409 || codes[0] == 409 && codes[1] == 200) {
		t.Errorf("statuses %v, want one 200 and one 409", codes)
	}
	assertValid(t, base, tok, pool, comm)
}

func TestInvalidInputChangesNothing(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[3]
	tok := editToken(t, base, "planner")
	g := communityGrids(t, pool, comm)[0]
	ring := g.geom[0][0]
	many := make([]string, 0, 20002)
	for i := 0; i < 20001; i++ {
		a := 2 * math.Pi * float64(i) / 20001
		many = append(many, fmt.Sprintf("[%.7f,%.7f]", ring[0][0]+0.001*math.Cos(a), ring[0][1]+0.001*math.Sin(a)))
	}
	many = append(many, many[0])
	// The star polygon {19999/9999}: each edge crosses nearly every other
	// (~2·10⁸ crossings); the check used to record them all and ran the
	// server out of memory.
	star := make([]string, 0, 20000)
	for k := 0; k < 19999; k++ {
		a := 2 * math.Pi * float64(k*9999%19999) / 19999
		star = append(star, fmt.Sprintf("[%.7f,%.7f]", ring[0][0]+0.001*math.Cos(a), ring[0][1]+0.001*math.Sin(a)))
	}
	star = append(star, star[0])
	poly := func(coords string) string {
		return fmt.Sprintf(`{"geometry":{"type":"Polygon","coordinates":%s},"version":%d}`, coords, g.version)
	}
	cases := []struct{ name, body, want string }{
		{"not json", `{"geometry":`, "not valid JSON"},
		{"not geojson", `{"geometry":{"type":"Blob"},"version":1}`, "want Polygon"},
		{"point", fmt.Sprintf(`{"geometry":{"type":"Point","coordinates":[120.1,30.2]},"version":%d}`, g.version), "want Polygon"},
		{"bowtie", poly(`[[[120.1,30.2],[120.11,30.21],[120.11,30.2],[120.1,30.21],[120.1,30.2]]]`), "self-intersection"},
		{"crs", fmt.Sprintf(`{"geometry":{"type":"Polygon","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"version":%d}`, g.version), "EPSG:3857"},
		{"range", poly(`[[[200,30],[201,30],[201,31],[200,30]]]`), "outside longitude/latitude"},
		{"empty", poly(`[]`), "empty"},
		{"too many", poly("[[" + strings.Join(many, ",") + "]]"), "at most 20000"},
		{"crossing star", poly("[[" + strings.Join(star, ",") + "]]"), "self-intersection"},
		{"NUL in reason", putBody(g.geom, g.version, "a\x00b"), "reason: contains a NUL"},
		{"invalid UTF-8", strings.Replace(putBody(g.geom, g.version, "ab"), `"ab"`, "\"a\xffb\"", 1), "not valid UTF-8"},
		{"unknown field", `{"geometry":null,"version":1,"colour":"red"}`, "unknown field"},
		{"no version", fmt.Sprintf(`{"geometry":%s}`, mustJSON(geojson.NewGeometry(g.geom))), "version"},
	}
	for _, c := range cases {
		resp, body := do(t, "PUT", base+"/api/grids/"+g.code+"?mode=adjust", tok, c.body)
		if resp.StatusCode != 400 || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s, want 400 mentioning %q", c.name, resp.StatusCode, body[:min(len(body), 300)], c.want)
		}
	}
	for _, q := range []string{"/api/grids?parent=%00", "/api/grids?q=%FF", "/api/grids/" + g.code + "%00"} {
		if resp, body := do(t, "GET", base+q, tok, ""); resp.StatusCode != 400 || !strings.Contains(string(body), "NUL") && !strings.Contains(string(body), "UTF-8") {
			t.Errorf("GET %s: %d %s, want 400 naming the text problem", q, resp.StatusCode, body)
		}
	}
	if resp, body := do(t, "PUT", base+"/api/grids/"+g.code+"?mode=sideways", tok, putBody(g.geom, g.version, "")); resp.StatusCode != 400 {
		t.Errorf("bad mode: %d %s", resp.StatusCode, body)
	}
	now := communityGrids(t, pool, comm)
	if now[0].version != g.version || !orb.Equal(now[0].geom, g.geom) {
		t.Error("invalid input changed the grid")
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestBoundaryRoleMatrix(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[4]
	g := communityGrids(t, pool, comm)[0]
	body := putBody(g.geom, g.version, "roles")
	cases := []struct {
		user, method, path, body string
		want                     int
	}{
		{"planner2", "PUT", "/api/grids/" + g.code, body, 403}, // planner outside their community
		{"officer", "PUT", "/api/grids/" + g.code, body, 403},
		{"leader", "PUT", "/api/grids/" + g.code, body, 403},
		{"auditor", "PUT", "/api/grids/" + g.code, body, 403},
		{"officer", "DELETE", "/api/grids/" + g.code, "", 403},
		{"leader", "POST", "/api/grids/merge", `{"codes":["` + g.code + `"]}`, 403},
		{"auditor", "POST", "/api/grids/" + g.code + "/split", `{"line":{"type":"LineString","coordinates":[[0,0],[1,1]]}}`, 403},
		{"planner2", "POST", "/api/grids", `{"parent":"` + comm + `","name":"x","geometry":null}`, 403},
		{"", "PUT", "/api/grids/" + g.code, body, 401},
		{"auditor", "GET", "/api/validation?parent=" + comm, "", 200},
		{"planner", "GET", "/api/validation?parent=" + comm, "", 200},
		{"officer", "GET", "/api/balance?parent=" + comm, "", 403},
		{"planner", "GET", "/api/balance?parent=" + comm, "", 200},
		{"planner2", "GET", "/api/balance?parent=" + comm, "", 403},
		{"auditor", "GET", "/api/history/grids?as_of=2020-01-01", "", 200},
		{"auditor", "GET", "/api/grids/" + g.code + "/versions", "", 200},
		{"officer", "GET", "/api/grids/" + g.code + "/versions", "", 200},                   // the map is one for everyone
		{"planner", "PUT", "/api/grids/" + g.code + "?mode=strict&dry_run=true", body, 200}, // same shape: no change
	}
	for _, c := range cases {
		tok := ""
		if c.user != "" {
			tok = editToken(t, base, c.user)
		}
		resp, b := do(t, c.method, base+c.path, tok, c.body)
		if resp.StatusCode != c.want {
			t.Errorf("%s %s %s: %d %s, want %d", c.user, c.method, c.path, resp.StatusCode, b[:min(len(b), 200)], c.want)
		}
	}
}

func TestSplitMergeCreateDeleteAndIdempotency(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[5]
	tok := editToken(t, base, "planner")
	// Balance with a low ceiling makes grids oversized, with a proposed line.
	resp, body := do(t, "GET", base+"/api/balance?parent="+comm+"&min_households=0&min_people=0&max_households=150", tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("balance: %d %s", resp.StatusCode, body)
	}
	var bal struct {
		Features []struct {
			Properties struct {
				Code       string
				Kind       string
				Households int
				Flag       string
				Split      *struct {
					Line          json.RawMessage
					Households    [2]int
					StreetAligned bool `json:"street_aligned"`
				}
			}
		}
	}
	if err := json.Unmarshal(body, &bal); err != nil {
		t.Fatal(err)
	}
	var code string
	var line json.RawMessage
	var total int
	for _, f := range bal.Features {
		p := f.Properties
		if p.Flag == "over" && p.Split != nil && code == "" {
			code, line, total = p.Code, p.Split.Line, p.Households
		}
	}
	if code == "" {
		t.Fatalf("no oversized grid with a proposal: %s", body[:min(len(body), 500)])
	}
	var version int
	pool.QueryRow(context.Background(), `SELECT version FROM units WHERE code = $1`, code).Scan(&version)
	split := `{"line":` + string(line) + `,"names":["北片","南片"],"version":` + fmt.Sprint(version) + `,"reason":"balance"}`
	resp, body = do(t, "POST", base+"/api/grids/"+code+"/split?mode=strict", tok, split)
	if resp.StatusCode != 200 {
		t.Fatalf("split: %d %s", resp.StatusCode, body)
	}
	var sr struct{ Codes []string }
	json.Unmarshal(body, &sr)
	if len(sr.Codes) != 2 {
		t.Fatalf("split codes %v (%s)", sr.Codes, body)
	}
	var h [2]int
	var maxBuilding int
	for i, c := range sr.Codes {
		pool.QueryRow(context.Background(), `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, c).Scan(&h[i])
	}
	pool.QueryRow(context.Background(), `SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM households h JOIN buildings b ON b.id = h.building_id
        WHERE b.grid_code = ANY($1) GROUP BY b.id) x`, sr.Codes).Scan(&maxBuilding)
	if h[0]+h[1] != total || max(h[0]-h[1], h[1]-h[0]) > maxBuilding {
		t.Errorf("split households %v of %d, want halves within one building (%d)", h, total, maxBuilding)
	}
	assertValid(t, base, tok, pool, comm)

	// Merge them back, with an idempotency key sent twice.
	var v0, v1 int
	pool.QueryRow(context.Background(), `SELECT version FROM units WHERE code = $1`, sr.Codes[0]).Scan(&v0)
	pool.QueryRow(context.Background(), `SELECT version FROM units WHERE code = $1`, sr.Codes[1]).Scan(&v1)
	merge := `{"codes":["` + sr.Codes[0] + `","` + sr.Codes[1] + `"],"versions":[` + fmt.Sprint(v0, ",", v1) + `],"name":"合并","reason":"undo"}`
	var replies [2]string
	for i := range replies {
		req, _ := http.NewRequest("POST", base+"/api/grids/merge?mode=strict", strings.NewReader(merge))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", "merge-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1<<20)
		n, _ := resp.Body.Read(b)
		resp.Body.Close()
		replies[i] = fmt.Sprint(resp.StatusCode) + string(b[:n])
	}
	if !strings.HasPrefix(replies[0], "200") || replies[0] != replies[1] {
		t.Errorf("merge replies differ or failed:\n%.300s\n%.300s", replies[0], replies[1])
	}
	assertValid(t, base, tok, pool, comm)

	// Delete in adjust mode: the area goes to a neighbour; create it back in adjust mode.
	gs := communityGrids(t, pool, comm)
	victim := gs[len(gs)-1]
	resp, body = do(t, "DELETE", base+"/api/grids/"+victim.code+"?mode=adjust&reason=test&version="+fmt.Sprint(victim.version), tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}
	assertValid(t, base, tok, pool, comm)
	create, _ := json.Marshal(map[string]any{"parent": comm, "name": "新网格", "kind": "basic", "geometry": geojson.NewGeometry(victim.geom), "reason": "restore"})
	resp, body = do(t, "POST", base+"/api/grids?mode=adjust", tok, string(create))
	if resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var cr editReply
	json.Unmarshal(body, &cr)
	if len(cr.Code) != 15 || cr.Code <= victim.code {
		t.Errorf("created code %q, want a fresh sequence after %s", cr.Code, victim.code)
	}
	assertValid(t, base, tok, pool, comm)
}
