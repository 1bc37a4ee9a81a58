package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"wangge/geo/tile"
	"wangge/geo/tile/mvtdecode"
	"wangge/internal/api"
	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/mapdata"
	"wangge/internal/store"
	"wangge/internal/tilecache"
	"wangge/static"
)

// getTile fetches a tile with explicit headers (Go's transport would
// otherwise add Accept-Encoding: gzip and decompress behind our back).
func getTile(t *testing.T, url, token string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
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

// gridTile is the tile at zoom z holding a point inside the grid.
type gridTile struct {
	Code string
	Geom orb.MultiPolygon
	Tile maptile.Tile
}

// demoGrids reads the grids with a point surely inside each (PostGIS).
func demoGrids(t *testing.T, pool *pgxpool.Pool, z maptile.Zoom) []gridTile {
	t.Helper()
	rows, err := pool.Query(context.Background(),
		`SELECT code, ST_AsGeoJSON(geom), ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM units WHERE level = 4 ORDER BY code`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []gridTile
	for rows.Next() {
		var g gridTile
		var gj string
		var x, y float64
		if err := rows.Scan(&g.Code, &gj, &x, &y); err != nil {
			t.Fatal(err)
		}
		g.Geom = parseMultiPolygon(t, gj)
		g.Tile = maptile.At(orb.Point{x, y}, z)
		out = append(out, g)
	}
	if len(out) == 0 {
		t.Fatal("no grids")
	}
	return out
}

func parseMultiPolygon(t *testing.T, gj string) orb.MultiPolygon {
	t.Helper()
	var raw struct{ Coordinates [][][][2]float64 }
	if err := json.Unmarshal([]byte(gj), &raw); err != nil {
		t.Fatal(err)
	}
	var mp orb.MultiPolygon
	for _, p := range raw.Coordinates {
		var poly orb.Polygon
		for _, r := range p {
			var ring orb.Ring
			for _, c := range r {
				ring = append(ring, orb.Point(c))
			}
			poly = append(poly, ring)
		}
		mp = append(mp, poly)
	}
	return mp
}

func tilePath(layer string, tl maptile.Tile) string {
	return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, tl.Z, tl.X, tl.Y)
}

// decodeTile decodes MVT bytes with the project's validating decoder and
// projects them back to lon/lat.
func decodeTile(t *testing.T, data []byte, tl maptile.Tile) mvt.Layers {
	t.Helper()
	ls, err := mvtdecode.DecodeStrict(data)
	if err != nil {
		t.Fatalf("tile %v: %v", tl, err)
	}
	ls.ProjectToWGS84(tl)
	return ls
}

func featureByCode(ls mvt.Layers, layer, code string) (orb.Geometry, map[string]any) {
	for _, l := range ls {
		if l.Name != layer {
			continue
		}
		for _, f := range l.Features {
			if f.Properties["code"] == code {
				return f.Geometry, f.Properties
			}
		}
	}
	return nil, nil
}

func TestTileHeadersETagAndGzip(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	tok := tokenFor(t, base, "officer")
	g := demoGrids(t, demoPool, 14)[0]
	url := base + tilePath("grids", g.Tile)

	resp, plain := getTile(t, url, tok, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, plain)
	}
	h := resp.Header
	if h.Get("Content-Type") != "application/vnd.mapbox-vector-tile" || h.Get("Content-Encoding") != "" ||
		!strings.HasPrefix(h.Get("Cache-Control"), "private, max-age=") || h.Get("Vary") != "Accept-Encoding" || h.Get("ETag") == "" {
		t.Errorf("headers %v", h)
	}
	if geom, props := featureByCode(decodeTile(t, plain, g.Tile), "grids", g.Code); geom == nil {
		t.Fatalf("grid %s not in its tile", g.Code)
	} else if props["name"] == "" || props["kind"] == nil || props["households"] == nil || fmt.Sprint(props["level"]) != "4" {
		t.Errorf("properties %v", props)
	}

	// Revalidation: 304 without a body.
	resp, body := getTile(t, url, tok, map[string]string{"If-None-Match": h.Get("ETag")})
	if resp.StatusCode != 304 || len(body) != 0 || resp.Header.Get("ETag") != h.Get("ETag") {
		t.Errorf("If-None-Match: %d %q etag %q", resp.StatusCode, body, resp.Header.Get("ETag"))
	}

	// Gzip: the cached variant, its own ETag, same tile once inflated.
	resp, gz := getTile(t, url, tok, map[string]string{"Accept-Encoding": "gzip, deflate"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip: %d %v", resp.StatusCode, resp.Header)
	}
	if e := resp.Header.Get("ETag"); e == h.Get("ETag") || e == "" {
		t.Errorf("gzip ETag %q equals the identity one", e)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	inflated, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(inflated, plain) {
		t.Errorf("inflated gzip variant differs from the plain tile (%v)", err)
	}
	resp, _ = getTile(t, url, tok, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": h.Get("ETag")})
	if resp.StatusCode != 200 {
		t.Errorf("identity ETag revalidated the gzip variant: %d", resp.StatusCode)
	}
	resp, _ = getTile(t, url, tok, map[string]string{"Accept-Encoding": "gzip;q=0"})
	if resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got %q", resp.Header.Get("Content-Encoding"))
	}
}

func TestTileErrorsAndRoles(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	admin := tokenFor(t, base, "admin")
	cases := []struct {
		path   string
		status int
		code   string
	}{
		{"/tiles/planets/10/0/0.mvt", 404, "not_found"},
		{"/tiles/grids/x/0/0.mvt", 400, "invalid"},
		{"/tiles/grids/10/-1/0.mvt", 400, "invalid"},
		{"/tiles/grids/10/1024/0.mvt", 400, "invalid"},
		{"/tiles/grids/10/0/1e3.mvt", 400, "invalid"},
		{"/tiles/grids/31/0/0.mvt", 400, "invalid"},
		{"/tiles/grids/20/0/0.mvt", 404, "not_found"}, // beyond the layer's maxzoom
		{"/tiles/buildings/5/0/0.mvt", 404, "not_found"},
		{"/tiles/grids/10/0/0.png", 404, "not_found"},
		{"/tiles/planets.json", 404, "not_found"},
		{"/tiles/grids.xml", 404, "not_found"},
	}
	for _, c := range cases {
		resp, body := getTile(t, base+c.path, admin, nil)
		wantError(t, c.path, resp, body, c.status, c.code)
	}
	// Role matrix: every role may read the map; nobody anonymous.
	paths := []string{"/tiles/grids/10/853/418.mvt", "/tiles/grids.json"}
	for _, role := range []string{"admin", "planner", "officer", "leader", "auditor"} {
		for _, p := range paths {
			if resp, body := getTile(t, base+p, tokenFor(t, base, role), nil); resp.StatusCode != 200 {
				t.Errorf("%s %s: %d %s", role, p, resp.StatusCode, body)
			}
		}
	}
	for _, p := range paths {
		if resp, _ := getTile(t, base+p, "", nil); resp.StatusCode != 401 {
			t.Errorf("anonymous %s: %d", p, resp.StatusCode)
		}
	}
}

func TestTileJSON(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	for _, def := range mapdata.Defs {
		resp, body := get(t, base+"/tiles/"+def.Spec.Name+".json")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", def.Spec.Name, resp.StatusCode, body)
		}
		var tj struct {
			TileJSON     string
			Tiles        []string
			MinZoom      *int
			MaxZoom      *int
			Bounds       []float64
			Features     *int
			VectorLayers []struct {
				ID     string
				Fields map[string]string
			} `json:"vector_layers"`
		}
		if err := json.Unmarshal(body, &tj); err != nil {
			t.Fatal(err)
		}
		if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != base+"/tiles/"+def.Spec.Name+"/{z}/{x}/{y}.mvt" ||
			tj.MinZoom == nil || tj.MaxZoom == nil || *tj.MaxZoom != def.Spec.MaxZoom || len(tj.Bounds) != 4 ||
			len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != def.Spec.Name || len(tj.VectorLayers[0].Fields) != len(def.Fields) {
			t.Errorf("%s: %s", def.Spec.Name, body)
		}
		if tj.Features == nil || (def.Level > 0 && *tj.Features == 0) {
			t.Errorf("%s: no feature count in %s", def.Spec.Name, body)
		}
		if def.Spec.Name == "grids" && (tj.Bounds[0] < 119 || tj.Bounds[2] > 121 || tj.Bounds[1] < 29 || tj.Bounds[3] > 31 || tj.Bounds[0] >= tj.Bounds[2]) {
			t.Errorf("grids bounds %v not around the demo district", tj.Bounds)
		}
	}
}

// freshServer is a server of its own over a fresh demo database, with the
// unit and place listeners running.
func freshServer(t *testing.T) (string, *pgxpool.Pool, *mapdata.Service) {
	t.Helper()
	pool, dsn := dbtest.Demo(t, demo.Options{PatrolDays: 1, Password: demoPassword})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hub := &changes.Hub{}
	listening := make(chan struct{})
	go hub.Listen(ctx, dsn, quiet, listening)
	st := store.New(pool)
	svc := mapdata.New(st, mapdata.Options{Changes: hub, Logger: quiet})
	loaded := make(chan struct{})
	go svc.Run(ctx, loaded)
	for _, ch := range []chan struct{}{listening, loaded} {
		select {
		case <-ch:
		case <-time.After(time.Minute):
			t.Fatal("listeners did not start")
		}
	}
	srv := httptest.NewServer(api.New(api.Options{Store: st, Changes: hub, Map: svc, Static: static.FS, Logger: quiet}).Handler())
	t.Cleanup(srv.Close)
	return srv.URL, pool, svc
}

func TestTilesStayFreshAfterEdits(t *testing.T) {
	t.Parallel()
	base, pool, svc := freshServer(t)
	tok := tokenFor2(t, base, "planner")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	grids := demoGrids(t, pool, 15)
	edited := grids[0]
	// An unrelated tile: a grid whose z15 tile the edited grid's shape does not reach.
	touched := map[maptile.Tile]bool{}
	for tl := range tile.TilesCovering(edited.Geom.Bound(), 15, 15, tile.Options{}) {
		touched[tl] = true
	}
	var other gridTile
	for _, g := range grids[1:] {
		if !touched[g.Tile] {
			other = g
			break
		}
	}
	if other.Code == "" {
		t.Fatal("no grid away from the edited one")
	}
	_, before := getTile(t, base+tilePath("grids", edited.Tile), tok, nil)
	if resp, _ := getTile(t, base+tilePath("grids", other.Tile), tok, nil); resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	oldGeom, _ := featureByCode(decodeTile(t, before, edited.Tile), "grids", edited.Code)
	if oldGeom == nil {
		t.Fatal("edited grid not in its tile")
	}
	defectsBefore := defectCount(t, svc)

	// Shrink the grid by ~30 m: its tile must change, and a gap appear.
	applied := svc.Applied()
	if _, err := pool.Exec(ctx, `UPDATE units SET geom = ST_Multi(ST_Buffer(geom, -0.0003, 'join=mitre')) WHERE code = $1`, edited.Code); err != nil {
		t.Fatal(err)
	}
	if err := svc.WaitApplied(ctx, applied+1); err != nil {
		t.Fatalf("edit not applied: %v", err)
	}
	key := func(g gridTile) tilecache.Key {
		return tilecache.Key{Layer: "grids", Z: uint8(g.Tile.Z), X: g.Tile.X, Y: g.Tile.Y}
	}
	if _, ok := svc.Cache().Get(key(edited)); ok {
		t.Error("the edited grid's tile is still cached")
	}
	if _, ok := svc.Cache().Get(key(other)); !ok {
		t.Error("an unrelated tile was dropped from the cache")
	}
	_, after := getTile(t, base+tilePath("grids", edited.Tile), tok, nil)
	newGeom, _ := featureByCode(decodeTile(t, after, edited.Tile), "grids", edited.Code)
	if newGeom == nil {
		t.Fatal("edited grid left its tile")
	}
	oldA, newA := planar.Area(oldGeom), planar.Area(newGeom)
	if !(newA < oldA*0.98) {
		t.Errorf("tile geometry area %g → %g: the edit is not visible", oldA, newA)
	}
	var gj string
	if err := pool.QueryRow(ctx, `SELECT ST_AsGeoJSON(geom) FROM units WHERE code = $1`, edited.Code).Scan(&gj); err != nil {
		t.Fatal(err)
	}
	if want := planar.Area(clipTo(parseMultiPolygon(t, gj), edited.Tile)); math.Abs(newA-want) > 0.02*want {
		t.Errorf("tile area %g, source within the tile %g", newA, want)
	}
	if n := defectCount(t, svc); n <= defectsBefore {
		t.Errorf("defects %d → %d: the gap left by shrinking a grid is not in the defects layer", defectsBefore, n)
	}

	// An import of households (place change) reaches the households layer.
	var building int64
	var region string
	if err := pool.QueryRow(ctx, `SELECT id, region_code FROM buildings WHERE grid_code = $1 LIMIT 1`, other.Code).Scan(&building, &region); err != nil {
		t.Fatal(err)
	}
	count := func() int64 {
		fs := svc.Features("households", uint64(building))
		if len(fs) == 0 {
			return 0
		}
		v, _ := fs[0].Prop("households")
		return v.(int64)
	}
	n0 := count()
	applied = svc.Applied()
	if _, err := pool.Exec(ctx, `INSERT INTO households (region_code, building_id, head_name, members)
		SELECT $2, $1, 'test', 1 FROM generate_series(1, 3)`, building, region); err != nil {
		t.Fatal(err)
	}
	if err := svc.WaitApplied(ctx, applied+1); err != nil {
		t.Fatalf("import not applied: %v", err)
	}
	if n := count(); n != n0+3 {
		t.Errorf("households at building %d: %d → %d, want +3", building, n0, n)
	}
}

// tokenFor2 logs in on a server of its own (tokenFor caches per package run).
func tokenFor2(t *testing.T, base, user string) string {
	t.Helper()
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"`+user+`","password":"`+demoPassword+`"}`)
	var r struct{ Token string }
	if err := json.Unmarshal(body, &r); err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	return r.Token
}

// defectCount counts the defects layer's features over the demo district.
func defectCount(t *testing.T, svc *mapdata.Service) int {
	t.Helper()
	info, err := svc.Layer(context.Background(), "defects")
	if err != nil {
		t.Fatal(err)
	}
	return info.Features
}

// clipTo clips a lon/lat multipolygon to the tile's area grown by the
// encoder's 64/4096 buffer (planar in lon/lat: exact enough for a tile a few
// hundred metres wide).
func clipTo(mp orb.MultiPolygon, tl maptile.Tile) orb.MultiPolygon {
	b := tl.Bound()
	dx, dy := (b.Max[0]-b.Min[0])*64/4096, (b.Max[1]-b.Min[1])*64/4096
	b.Min, b.Max = orb.Point{b.Min[0] - dx, b.Min[1] - dy}, orb.Point{b.Max[0] + dx, b.Max[1] + dy}
	return clip.MultiPolygon(b, mp)
}

// TestTilesMatchGDAL decodes the project's tiles with GDAL's MVT driver
// (an independent decoder) and compares each grid's geometry, within a tile
// pixel, and attributes with the source in PostGIS.
func TestTilesMatchGDAL(t *testing.T) {
	t.Parallel()
	ogr := gdalTool(t, "ogr2ogr")
	base := demoServer(t)
	tok := tokenFor(t, base, "leader")
	ctx := context.Background()
	dir := t.TempDir()
	checked := 0
	for _, z := range []maptile.Zoom{12, 15} {
		seen := map[maptile.Tile]bool{}
		for i, g := range demoGrids(t, demoPool, z) {
			if seen[g.Tile] || (z == 15 && i%7 != 0) {
				continue
			}
			seen[g.Tile] = true
			resp, data := getTile(t, base+tilePath("grids", g.Tile), tok, nil)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, data)
			}
			in := filepath.Join(dir, fmt.Sprintf("%d-%d-%d.mvt", g.Tile.Z, g.Tile.X, g.Tile.Y))
			out := in + ".geojson"
			if err := os.WriteFile(in, data, 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(ogr, "-f", "GeoJSON", "-t_srs", "EPSG:3857", out, in,
				"-oo", fmt.Sprintf("Z=%d", g.Tile.Z), "-oo", fmt.Sprintf("X=%d", g.Tile.X), "-oo", fmt.Sprintf("Y=%d", g.Tile.Y), "grids")
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ogr2ogr: %v\n%s", err, msg)
			}
			raw, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			checked += compareWithSource(t, ctx, raw, g.Tile)
		}
	}
	if checked < 20 {
		t.Errorf("only %d grid pieces compared", checked)
	}
}

// compareWithSource checks every feature GDAL read against PostGIS: the
// Hausdorff distance to the source grid clipped to the tile is at most 1.5
// tile pixels (Web Mercator metres), the attributes are the source's, and
// every grid reaching into the tile is there.
func compareWithSource(t *testing.T, ctx context.Context, gdalJSON []byte, tl maptile.Tile) int {
	t.Helper()
	var fc struct {
		Features []struct {
			Properties map[string]any
			Geometry   json.RawMessage
		}
	}
	if err := json.Unmarshal(gdalJSON, &fc); err != nil {
		t.Fatal(err)
	}
	pixel := 2 * math.Pi * 6378137 / float64(uint64(1)<<tl.Z) / 256
	b := tl.Bound()
	const envelope = `ST_Transform(ST_MakeEnvelope($2, $3, $4, $5, 4326), 3857)`
	got := map[string]bool{}
	for _, f := range fc.Features {
		code, _ := f.Properties["code"].(string)
		got[code] = true
		var name, kind string
		var level, households int64
		var dist float64
		err := demoPool.QueryRow(ctx, `
			SELECT u.name, u.kind, u.level,
			    (SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = u.code),
			    ST_HausdorffDistance(ST_SetSRID(ST_GeomFromGeoJSON($6), 3857),
			        ST_Intersection(ST_Transform(u.geom, 3857), `+envelope+`))
			FROM units u WHERE u.code = $1`, code, b.Min[0], b.Min[1], b.Max[0], b.Max[1], string(f.Geometry)).
			Scan(&name, &kind, &level, &households, &dist)
		if err != nil {
			t.Fatalf("grid %q: %v", code, err)
		}
		if dist > 1.5*pixel {
			t.Errorf("tile %v grid %s: GDAL geometry %.2f px from the source", tl, code, dist/pixel)
		}
		if f.Properties["name"] != name || f.Properties["kind"] != kind || f.Properties["level"] != float64(level) ||
			f.Properties["households"] != float64(households) {
			t.Errorf("tile %v grid %s: attributes %v, source %s %s %d %d", tl, code, f.Properties, name, kind, level, households)
		}
	}
	rows, err := demoPool.Query(ctx, `SELECT code FROM units WHERE level = 4
		AND ST_Area(ST_Intersection(ST_Transform(geom, 3857), `+envelope+`)) > $1`, 4*pixel*pixel, b.Min[0], b.Min[1], b.Max[0], b.Max[1])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			t.Fatal(err)
		}
		if !got[code] {
			t.Errorf("tile %v lacks grid %s", tl, code)
		}
	}
	return len(fc.Features)
}

// gdalTool finds a GDAL program, skipping when GDAL is absent outside CI.
func gdalTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (install gdal-bin; scripts/test does)", name)
		}
		t.Skipf("%s not found: install gdal-bin to compare with GDAL", name)
	}
	return p
}

// TestPublicURLInLinks: with a public URL configured, TileJSON and OGC links
// use it, whatever Host the request claims (a forged Host must not reach
// links that clients cache); without one they follow the request.
func TestPublicURLInLinks(t *testing.T) {
	t.Parallel()
	demoServer(t) // the shared demo database
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: quiet,
		PublicURL: "https://grid.example.gov.cn"}).Handler())
	defer srv.Close()
	tok := tokenFor(t, srv.URL, "leader")
	for _, path := range []string{"/tiles/grids.json", "/ogc/collections"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Host = "evil.example.com"
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "https://grid.example.gov.cn/") || strings.Contains(string(body), "evil.example.com") {
			t.Errorf("GET %s with Host evil.example.com: %d %.300s", path, resp.StatusCode, body)
		}
	}
	base := demoServer(t)
	_, body := do(t, "GET", base+"/tiles/grids.json", tokenFor(t, base, "leader"), "")
	if !strings.Contains(string(body), base+"/tiles/grids/") {
		t.Errorf("no public URL: TileJSON tiles %.300s, want them under %s", body, base)
	}
}
