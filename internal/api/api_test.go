package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var (
	demoOnce sync.Once
	demoURL  string
	demoPool *pgxpool.Pool
)

// demoServer serves the demo district; the packages' tests share it read-only.
func demoServer(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		pool, _ := dbtest.Demo(dbtest.Keep(t), demo.Options{PatrolDays: 1, Password: demoPassword})
		srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
		demoURL, demoPool = srv.URL, pool
	})
	if demoURL == "" {
		t.Fatal("demo server did not start")
	}
	return demoURL
}

// TestMain validates every exchange of the package's tests against the
// OpenAPI document (contract_test.go) and drops the shared demo database
// when the tests end.
func TestMain(m *testing.M) {
	var err error
	if validated, err = newContract(http.DefaultTransport); err != nil {
		fmt.Fprintln(os.Stderr, "openapi contract:", err)
		os.Exit(1)
	}
	http.DefaultTransport = validated
	dbtest.Main(m, validated.report)
}

const demoPassword = "demo-password-1"

var (
	tokensMu sync.Mutex
	tokens   = map[string]string{}
)

// tokenFor logs in as a demo user once per package run.
func tokenFor(t *testing.T, base, user string) string {
	t.Helper()
	tokensMu.Lock()
	defer tokensMu.Unlock()
	if tok, ok := tokens[user]; ok {
		return tok
	}
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+user+`","password":"`+demoPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d %s", user, resp.StatusCode, body)
	}
	var r struct{ Token string }
	if err := json.Unmarshal(body, &r); err != nil || r.Token == "" {
		t.Fatalf("login %s: %s", user, body)
	}
	tokens[user] = r.Token
	return r.Token
}

// do sends a request with an optional bearer token and JSON body.
func do(t *testing.T, method, url, token, body string) (*http.Response, []byte) {
	t.Helper()
	return doAs(t, method, url, token, "application/json", body)
}

// doAs sends a request with an optional bearer token and a body of the given type.
func doAs(t *testing.T, method, url, token, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// wantError checks an answer is status with the one JSON error shape of code.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || resp.StatusCode != status || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s: %d %s, want %d with the JSON error shape, code %s and a message", what, resp.StatusCode, body, status, code)
	}
}

// get reads url as the admin.
func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	base := url[:strings.Index(url[len("http://"):], "/")+len("http://")]
	return do(t, "GET", url, tokenFor(t, base, "admin"), "")
}

func getAnonymous(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func getCollection(t *testing.T, url string) *geojson.FeatureCollection {
	t.Helper()
	resp, body := get(t, url)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type %q", ct)
	}
	fc, err := geojson.UnmarshalFeatureCollection(body)
	if err != nil {
		t.Fatalf("GET %s: not GeoJSON: %v", url, err)
	}
	return fc
}

func TestGridsAreGeoJSONWithRequiredProperties(t *testing.T) {
	base := demoServer(t)
	fc := getCollection(t, base+"/api/grids")
	if n := len(fc.Features); n < 60 || n > 80 {
		t.Fatalf("%d grids, want the demo's 60–80", n)
	}
	for _, f := range fc.Features {
		for _, key := range []string{"code", "name", "level", "parent_code", "kind"} {
			if _, ok := f.Properties[key]; !ok {
				t.Fatalf("feature %v lacks property %q", f.ID, key)
			}
		}
		if f.Properties["level"] != "grid" {
			t.Errorf("feature %v level %v", f.ID, f.Properties["level"])
		}
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok || len(mp) == 0 || len(mp[0][0]) < 4 {
			t.Fatalf("feature %v geometry %T", f.ID, f.Geometry)
		}
	}
}

func TestGridFilters(t *testing.T) {
	base := demoServer(t)
	communities := getCollection(t, base+"/api/grids?level=community")
	if n := len(communities.Features); n < 5 || n > 7 {
		t.Fatalf("%d communities", n)
	}
	all := getCollection(t, base+"/api/grids")
	comm := communities.Features[0].Properties["code"].(string)
	inComm := getCollection(t, base+"/api/grids?parent="+comm)
	want := 0
	for _, f := range all.Features {
		if f.Properties["parent_code"] == comm {
			want++
		}
	}
	if len(inComm.Features) != want || want == 0 {
		t.Errorf("parent=%s gave %d grids, want %d", comm, len(inComm.Features), want)
	}
	street := communities.Features[0].Properties["parent_code"].(string)
	if inStreet := getCollection(t, base+"/api/grids?parent="+street); len(inStreet.Features) != len(all.Features) {
		t.Errorf("parent=street gave %d grids, want all %d", len(inStreet.Features), len(all.Features))
	}
	// A bbox around one grid's first vertex returns a few grids, all touching it.
	p := all.Features[0].Geometry.(orb.MultiPolygon)[0][0][0]
	box := orb.Bound{Min: orb.Point{p[0] - 0.001, p[1] - 0.001}, Max: orb.Point{p[0] + 0.001, p[1] + 0.001}}
	near := getCollection(t, base+"/api/grids?bbox="+strings.Join([]string{ftoa(box.Min[0]), ftoa(box.Min[1]), ftoa(box.Max[0]), ftoa(box.Max[1])}, ","))
	if len(near.Features) == 0 || len(near.Features) >= len(all.Features) {
		t.Errorf("bbox gave %d of %d grids", len(near.Features), len(all.Features))
	}
	for _, f := range near.Features {
		if !f.Geometry.Bound().Intersects(box) {
			t.Errorf("grid %v outside bbox", f.ID)
		}
	}
}

func ftoa(v float64) string { b, _ := json.Marshal(v); return string(b) }

func TestUnitWithChainAndStaff(t *testing.T) {
	base := demoServer(t)
	all := getCollection(t, base+"/api/grids")
	code := all.Features[0].Properties["code"].(string)
	resp, body := get(t, base+"/api/grids/"+code)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	f, err := geojson.UnmarshalFeature(body)
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := f.Properties["chain"].([]any)
	if len(chain) != 4 {
		t.Fatalf("chain %v, want district → street → community → grid", f.Properties["chain"])
	}
	if last := chain[3].(map[string]any); last["code"] != code || chain[0].(map[string]any)["level"] != "district" {
		t.Errorf("chain %v", chain)
	}
	staff, _ := f.Properties["staff"].([]any)
	roles := map[string]bool{}
	for _, s := range staff {
		roles[s.(map[string]any)["role"].(string)] = true
	}
	if !roles["grid_leader"] || !roles["grid_worker"] || !roles["informant"] {
		t.Errorf("staff card %v lacks a role", staff)
	}
	// Higher levels answer too, with an empty staff list.
	resp, body = get(t, base+"/api/grids/"+code[:12])
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"level":"community"`) {
		t.Errorf("community: %d %s", resp.StatusCode, body[:min(len(body), 200)])
	}
}

func TestBadRequestsGetTheErrorShape(t *testing.T) {
	base := demoServer(t)
	cases := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/grids/330199999999999", 404, "not_found"},
		{"/api/grids/abc", 400, "invalid"},
		{"/api/grids?parent=330199999999", 404, "not_found"},
		{"/api/grids?parent=x1", 400, "invalid"},
		{"/api/grids?level=planet", 400, "invalid"},
		{"/api/grids?bbox=1,2,3", 400, "invalid"},
		{"/api/grids?bbox=a,b,c,d", 400, "invalid"},
		{"/api/grids?bbox=121,30,120,31", 400, "invalid"},
		{"/api/grids?bbox=-200,30,120,31", 400, "invalid"},
		{"/api/grids?bbox=120,NaN,121,31", 400, "invalid"},
		{"/api/no-such-endpoint", 404, "not_found"},
	}
	for _, c := range cases {
		resp, body := get(t, base+c.path)
		wantError(t, c.path, resp, body, c.status, c.code)
	}
}

func TestHealthReadyAndFrontEnd(t *testing.T) {
	base := demoServer(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp, body := getAnonymous(t, base+p); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, body := getAnonymous(t, base+"/")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "网格") {
		t.Errorf("front end: %d", resp.StatusCode)
	}
}
