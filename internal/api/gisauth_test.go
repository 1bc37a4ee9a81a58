package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/internal/api"
	"wangge/internal/store"
	"wangge/internal/testenv"
	"wangge/static"
)

// gisServer is a server of its own over the demo database, so its login
// budget and lock-outs touch no other test.
func gisServer(t *testing.T, opt api.Options) string {
	t.Helper()
	demoServer(t)
	opt.Store, opt.Static, opt.Logger = store.New(demoPool), static.FS, quiet
	srv := httptest.NewServer(api.New(opt).Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// gisUser adds an account of role over unit with a fresh name.
func gisUser(t *testing.T, role, unit string) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "gis_" + role + "_" + hex.EncodeToString(b)
	_, err := store.New(demoPool).PutUser(context.Background(), demoPool,
		store.NewUser{Username: name, Password: demoPassword, Role: role, Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// basic sends GET url with HTTP Basic credentials.
func basic(t *testing.T, url, user, pw string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pw)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf [4096]byte
	n, _ := resp.Body.Read(buf[:])
	return resp, buf[:n]
}

// TestGISClientsWithGDAL: GDAL's OAPIF driver (what QGIS uses) reads the
// grids collection with HTTP Basic credentials and, page by page, with a map
// key in the URL, as many features as the database holds; a revoked key and
// keys or Basic anywhere but the read-only map routes are refused.
func TestGISClientsWithGDAL(t *testing.T) {
	t.Parallel()
	ogrinfo := testenv.Program(t, "ogrinfo")
	ogr2ogr := testenv.Program(t, "ogr2ogr")
	base := gisServer(t, api.Options{})
	user := gisUser(t, "planner", "")
	total := dbCount(t, `SELECT count(*) FROM units WHERE level = 4`)

	// Basic: GDAL_HTTP_AUTH=BASIC with GDAL_HTTP_USERPWD.
	env := append(os.Environ(), "GDAL_HTTP_AUTH=BASIC", "GDAL_HTTP_USERPWD="+user+":"+demoPassword, "CPL_DEBUG=OFF")
	out, err := runGDAL(env, ogrinfo, "-ro", "-al", "-so", "OAPIF:"+base+"/ogc", "grids")
	if err != nil {
		t.Fatalf("ogrinfo with Basic: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(out); m == nil || m[1] != strconv.Itoa(total) {
		t.Errorf("GDAL with Basic counts %v, want %d\n%s", m, total, out)
	}
	bad := append(os.Environ(), "GDAL_HTTP_AUTH=BASIC", "GDAL_HTTP_USERPWD="+user+":wrong-password", "CPL_DEBUG=OFF")
	if out, err := runGDAL(bad, ogrinfo, "-ro", "-so", "OAPIF:"+base+"/ogc", "grids"); err == nil {
		t.Errorf("ogrinfo with a wrong password succeeded:\n%s", out)
	}

	// A map key, made through the API (bearer), shown once.
	tok := loginAt(t, base, user)
	resp, body := do(t, "POST", base+"/api/map-keys", tok, `{"name":"QGIS 桌面"}`)
	var made struct {
		Key    struct{ ID int64 }
		Secret string
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &made) != nil || made.Secret == "" {
		t.Fatalf("create map key: %d %s", resp.StatusCode, body)
	}
	keyURL := base + "/ogc?key=" + made.Secret
	dst := filepath.Join(t.TempDir(), "grids.geojson")
	if out, err := runGDAL(os.Environ(), ogr2ogr, "-f", "GeoJSON", dst, "OAPIF:"+keyURL, "grids", "-oo", "PAGE_SIZE=9"); err != nil {
		t.Fatalf("ogr2ogr with a map key: %v\n%s", err, out)
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
		t.Errorf("GDAL with a key read %d features (%d distinct), want %d", len(fc.Features), len(codes), total)
	}
	// TileJSON hands the key on to the tile URLs, and tiles take it.
	resp, body = do(t, "GET", base+"/tiles/grids.json?key="+made.Secret, "", "")
	var tj struct{ Tiles []string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &tj) != nil || len(tj.Tiles) != 1 ||
		tj.Tiles[0] != base+"/tiles/grids/{z}/{x}/{y}.mvt?key="+made.Secret {
		t.Errorf("TileJSON with a key: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", base+"/tiles/grids/12/3430/1670.mvt?key="+made.Secret, "", ""); resp.StatusCode != 200 && resp.StatusCode != 204 {
		t.Errorf("tile with a key: %d %s", resp.StatusCode, body)
	}
	// GDAL's MVT driver reads a grid tile with the key and with Basic: as many
	// grids as the tile holds by our own decoder.
	var lon, lat float64
	if err := demoPool.QueryRow(context.Background(), `SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&lon, &lat); err != nil {
		t.Fatal(err)
	}
	tl := maptile.At(orb.Point{lon, lat}, 14)
	tilePath := fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt", tl.Z, tl.X, tl.Y)
	_, raw = do(t, "GET", base+tilePath+"?key="+made.Secret, "", "")
	want := 0
	for _, l := range decodeTile(t, raw, tl) {
		if l.Name == "grids" {
			want = len(l.Features)
		}
	}
	zxy := []string{"-oo", fmt.Sprintf("Z=%d", tl.Z), "-oo", fmt.Sprintf("X=%d", tl.X), "-oo", fmt.Sprintf("Y=%d", tl.Y)}
	for what, run := range map[string]func() (string, error){
		"key": func() (string, error) {
			return runGDAL(os.Environ(), ogrinfo, append([]string{"-ro", "-so", "/vsicurl/" + base + tilePath + "?key=" + made.Secret, "grids"}, zxy...)...)
		},
		"Basic": func() (string, error) {
			return runGDAL(env, ogrinfo, append([]string{"-ro", "-so", "/vsicurl/" + base + tilePath, "grids"}, zxy...)...)
		},
	} {
		out, err := run()
		if m := regexp.MustCompile(`Feature Count: (\d+)`).FindStringSubmatch(out); err != nil || want == 0 || m == nil || m[1] != strconv.Itoa(want) {
			t.Errorf("GDAL MVT with %s: %v, count %v, want %d\n%s", what, err, m, want, out)
		}
	}
	// Neither a key nor Basic opens anything but the read-only map routes.
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/grids"}, {"GET", "/api/map-keys"}, {"POST", "/api/grids"}, {"GET", "/api/me"},
	} {
		if resp, body := do(t, c.method, base+c.path+"?key="+made.Secret, "", `{}`); resp.StatusCode != 401 {
			t.Errorf("%s %s with a map key: %d %s, want 401", c.method, c.path, resp.StatusCode, body)
		}
	}
	if resp, body := basic(t, base+"/api/grids", user, demoPassword); resp.StatusCode != 401 {
		t.Errorf("/api/grids with Basic: %d %s, want 401", resp.StatusCode, body)
	}

	// Listed without the secret; revoked, refused at once.
	resp, body = do(t, "GET", base+"/api/map-keys", tok, "")
	if resp.StatusCode != 200 || !regexp.MustCompile(`"id":`+strconv.FormatInt(made.Key.ID, 10)+`\b`).Match(body) || regexp.MustCompile(made.Secret).Match(body) {
		t.Errorf("list map keys: %d %s", resp.StatusCode, body)
	}
	other := loginAt(t, base, gisUser(t, "leader", ""))
	if resp, body := do(t, "DELETE", base+"/api/map-keys/"+strconv.FormatInt(made.Key.ID, 10), other, ""); resp.StatusCode != 404 {
		t.Errorf("another user revoked the key: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, "DELETE", base+"/api/map-keys/"+strconv.FormatInt(made.Key.ID, 10), tok, ""); resp.StatusCode != 204 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", base+"/ogc/collections/grids/items?key="+made.Secret, "", "")
	if resp.StatusCode != 401 {
		t.Errorf("revoked key: %d %s, want 401", resp.StatusCode, body)
	}
	if out, err := runGDAL(os.Environ(), ogrinfo, "-ro", "-so", "OAPIF:"+keyURL, "grids"); err == nil {
		t.Errorf("ogrinfo with a revoked key succeeded:\n%s", out)
	}
	id := strconv.FormatInt(made.Key.ID, 10)
	if n := dbCount(t, `SELECT count(*) FROM audit_log WHERE object_type = 'map_key' AND object_id = $1
        AND action IN ('map_key.create', 'map_key.revoke') AND username = $2`, id, user); n != 2 {
		t.Errorf("audit has %d entries of key %s, want create and revoke", n, id)
	}
	// Officers and auditors make no keys.
	if resp, body := do(t, "POST", base+"/api/map-keys", loginAt(t, base, gisUser(t, "auditor", "")), `{"name":"x"}`); resp.StatusCode != 403 {
		t.Errorf("auditor made a key: %d %s", resp.StatusCode, body)
	}
}

// TestBasicAuthLockOut: wrong Basic passwords count towards the account's
// lock-out like failed logins, after which even the right one is refused;
// Basic and /api/login draw on one budget per client address.
func TestBasicAuthLockOut(t *testing.T) {
	t.Parallel()
	base := gisServer(t, api.Options{})
	user := gisUser(t, "leader", "")
	url := base + "/ogc/collections"
	if resp, body := basic(t, url, user, demoPassword); resp.StatusCode != 200 {
		t.Fatalf("Basic: %d %s", resp.StatusCode, body)
	}
	for i := range 5 {
		resp, body := basic(t, url, user, "wrong-password-"+strconv.Itoa(i))
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("wrong password %d: %d %q %s", i, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	if resp, body := basic(t, url, user, demoPassword+"x"); resp.StatusCode != 429 {
		t.Errorf("locked account: %d %s, want 429", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+user+`","password":"`+demoPassword+`"}`); resp.StatusCode != 429 {
		t.Errorf("login of the locked account: %d %s, want 429", resp.StatusCode, body)
	}
	if n := dbCount(t, `SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND object_id = $1`, user); n != 5 {
		t.Errorf("audit has %d failed logins of %s, want 5", n, user)
	}

	// A budget of 3 password checks a client: Basic then login share it.
	tight := gisServer(t, api.Options{LoginPerMinute: 0.001, LoginBurst: 3})
	for i := range 3 {
		if resp, body := basic(t, tight+"/ogc", "nobody"+strconv.Itoa(i), "wrong-password"); resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if resp, body := basic(t, tight+"/ogc", "nobody", "wrong-password"); resp.StatusCode != 429 {
		t.Errorf("Basic over budget: %d %s, want 429", resp.StatusCode, body)
	}
	if resp, body := do(t, "POST", tight+"/api/login", "", `{"username":"`+user+`","password":"x"}`); resp.StatusCode != 429 {
		t.Errorf("login over budget: %d %s, want 429", resp.StatusCode, body)
	}
}

// loginAt logs user in at base (not cached: base is a server of its own).
func loginAt(t *testing.T, base, user string) string {
	t.Helper()
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+user+`","password":"`+demoPassword+`"}`)
	var r struct{ Token string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil || r.Token == "" {
		t.Fatalf("login %s: %d %s", user, resp.StatusCode, body)
	}
	return r.Token
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestMapKeyNotLogged: a key in the URL stays out of the request log.
func TestMapKeyNotLogged(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	demoServer(t)
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(demoPool), Static: static.FS,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}).Handler())
	defer srv.Close()
	const secret = "not-a-real-key-but-secret-all-the-same"
	resp, body := do(t, "GET", srv.URL+"/ogc/collections?f=json&key="+secret, "", "")
	if resp.StatusCode != 401 {
		t.Errorf("unknown key: %d %s", resp.StatusCode, body)
	}
	if out := logs.String(); strings.Contains(out, secret) || !strings.Contains(out, "key=REDACTED") {
		t.Errorf("request log shows the key:\n%s", out)
	}
}
