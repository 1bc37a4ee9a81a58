// Command tileload measures map tile serving on loopback against the
// PostGIS floor: the same tiles rendered by ST_AsMVT(ST_AsMVTGeom(...)).
//
//	DATABASE_URL=postgres://…/wangge_scale WANGGE_DEMO_PASSWORD=… tileload [flags]
//
// The database must hold a demo district (wangge demo --scale 10000 for the
// city-sized one) with its demo users. The tile set is up to --tiles distinct
// grid tiles per zoom from --minzoom to --maxzoom, each under a randomly
// chosen grid's centre (fixed seed), requested round-robin. Phases, each
// bounded by --duration and --requests, run with --concurrency workers:
//
//	postgis     ST_AsMVT per tile over the pool (no HTTP): the reference
//	uncached    GET /tiles/grids/z/x/y.mvt with the tile cache disabled
//	cached      the same with every tile already cached
//	revalidate  the same with If-None-Match of the cached tile's ETag (304)
//
// Each worker keeps one connection alive and sends Authorization (a demo
// user's session) and Accept-Encoding: gzip as browsers do (--gzip=false
// asks for plain MVT). The default --client raw writes prebuilt requests and
// reads responses by Content-Length, as wrk does; --client go uses net/http.
// It prints tiles/s, p50 and p99 per phase, the ratios to PostGIS, the tile
// mix and sizes per zoom, and the tile cache's hit and render counts.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/internal/api"
	"wangge/internal/config"
	"wangge/internal/mapdata"
	"wangge/internal/store"
	"wangge/static"
)

type options struct {
	minZ, maxZ, perZoom int
	duration            time.Duration
	requests, conc      int
	user                string
	gzip                bool
	client              string
	cpuProfile          string
}

func main() {
	var o options
	flag.IntVar(&o.minZ, "minzoom", 10, "lowest zoom")
	flag.IntVar(&o.maxZ, "maxzoom", 16, "highest zoom")
	flag.IntVar(&o.perZoom, "tiles", 300, "distinct tiles per zoom (around grid centres)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "time limit of each phase")
	flag.IntVar(&o.requests, "requests", 300000, "request limit of each phase")
	flag.IntVar(&o.conc, "concurrency", 8, "concurrent workers")
	flag.StringVar(&o.user, "user", "admin", "demo user to log in as (password: WANGGE_DEMO_PASSWORD)")
	flag.BoolVar(&o.gzip, "gzip", true, "send Accept-Encoding: gzip")
	flag.StringVar(&o.client, "client", "raw", "HTTP client of the workers: raw (prebuilt requests on one keep-alive connection each, like wrk) or go (net/http)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of each phase to PREFIX.PHASE.pprof")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "tileload:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	dsn, err := cfg.DSN(ctx, func(string, ...any) {})
	if err != nil {
		return err
	}
	pool, err := store.OpenPool(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	tiles, err := pickTiles(ctx, pool, o.minZ, o.maxZ, o.perZoom)
	if err != nil {
		return err
	}
	if o.client != "raw" && o.client != "go" {
		return fmt.Errorf("--client %q: raw or go", o.client)
	}
	fmt.Printf("%d tiles at z%d–z%d, %d workers, each phase ≤ %s and ≤ %d requests, gzip %v, %s client, pool %d conns\n",
		len(tiles), o.minZ, o.maxZ, o.conc, o.duration, o.requests, o.gzip, o.client, pool.Config().MaxConns)

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := time.Now()
	cold := mapdata.New(st, mapdata.Options{CacheBytes: -1, Logger: quiet})
	if err := cold.Load(ctx); err != nil {
		return err
	}
	fmt.Printf("layers loaded in %s\n", time.Since(start).Round(time.Millisecond))
	warm := mapdata.New(st, mapdata.Options{CacheBytes: 1 << 30, Logger: quiet})
	if err := warm.Load(ctx); err != nil {
		return err
	}
	coldURL, coldToken, closeCold, err := serve(st, cold, quiet, o.user)
	if err != nil {
		return err
	}
	defer closeCold()
	warmURL, warmToken, closeWarm, err := serve(st, warm, quiet, o.user)
	if err != nil {
		return err
	}
	defer closeWarm()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.conc * 2, DisableCompression: true}}
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	// fetch requests tiles; with etags set it revalidates and expects 304.
	// Requests are built once per tile; each worker has its own keep-alive
	// connection.
	fetch := func(base, token string, etags map[maptile.Tile]string) func(w, i int) (int, error) {
		want := http.StatusOK
		if etags != nil {
			want = http.StatusNotModified
		}
		check := func(t maptile.Tile, status int, gz bool) error {
			if status != want {
				return fmt.Errorf("tile %v: status %d, want %d", t, status, want)
			}
			if o.gzip && want == http.StatusOK && !gz {
				return fmt.Errorf("tile %v: not gzipped", t)
			}
			return nil
		}
		headers := func(t maptile.Tile) []string {
			h := []string{"Authorization: Bearer " + token}
			if o.gzip {
				h = append(h, "Accept-Encoding: gzip")
			}
			if etags != nil {
				h = append(h, "If-None-Match: "+etags[t])
			}
			return h
		}
		path := func(t maptile.Tile) string { return fmt.Sprintf("/tiles/grids/%d/%d/%d.mvt", t.Z, t.X, t.Y) }
		if o.client == "raw" {
			host := strings.TrimPrefix(base, "http://")
			reqs := make([][]byte, len(tiles))
			for i, t := range tiles {
				reqs[i] = rawRequest(host, path(t), headers(t)...)
			}
			conns := make([]*rawConn, o.conc)
			for w := range conns {
				conns[w], _ = newRawConn(base) // base is httptest's URL
				closers = append(closers, conns[w].close)
			}
			return func(w, i int) (int, error) {
				resp, err := conns[w].do(reqs[i])
				if err != nil {
					return 0, err
				}
				return resp.length, check(tiles[i], resp.status, resp.gzip)
			}
		}
		// net/http: each worker reuses its request of a tile (allowed once
		// the previous response body is closed).
		reqs := make([][]*http.Request, o.conc)
		for w := range reqs {
			reqs[w] = make([]*http.Request, len(tiles))
		}
		return func(w, i int) (int, error) {
			t := tiles[i]
			req := reqs[w][i]
			if req == nil {
				req, _ = http.NewRequest("GET", base+path(t), nil)
				for _, h := range headers(t) {
					k, v, _ := strings.Cut(h, ": ")
					req.Header.Set(k, v)
				}
				reqs[w][i] = req
			}
			resp, err := client.Do(req)
			if err != nil {
				return 0, err
			}
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				return 0, err
			}
			return int(n), check(t, resp.StatusCode, resp.Header.Get("Content-Encoding") == "gzip")
		}
	}
	// fetchETag is one request as the phases make it, keeping the ETag.
	fetchETag := func(base, token string, t maptile.Tile) (int, string, error) {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/grids/%d/%d/%d.mvt", base, t.Z, t.X, t.Y), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if o.gzip {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return 0, "", fmt.Errorf("tile %v: status %d", t, resp.StatusCode)
		}
		return int(n), resp.Header.Get("ETag"), err
	}
	postgis := func(t maptile.Tile) (int, error) {
		var b []byte
		err := pool.QueryRow(ctx, postgisTileSQL, int(t.Z), int(t.X), int(t.Y)).Scan(&b)
		return len(b), err
	}
	// Warm the cache (every tile once), note the ETags and the sizes.
	etags := map[maptile.Tile]string{}
	size := map[string]map[uint32]int{"ours": {}, "ours-wire": {}, "postgis": {}}
	for _, t := range tiles {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/grids/%d/%d/%d.mvt", warmURL, t.Z, t.X, t.Y), nil)
		req.Header.Set("Authorization", "Bearer "+warmToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("tile %v: status %d", t, resp.StatusCode)
		}
		size["ours"][uint32(t.Z)] += int(n)
		wire, etag, err := fetchETag(warmURL, warmToken, t)
		if err != nil {
			return err
		}
		etags[t] = etag
		size["ours-wire"][uint32(t.Z)] += wire
		pn, err := postgis(t)
		if err != nil {
			return err
		}
		size["postgis"][uint32(t.Z)] += pn
	}
	printMix(tiles, size, o.gzip)
	stop := startProfile(o.cpuProfile, "render")
	for range 2 { // the first pass also warms up
		if err := renderTimes(ctx, cold, tiles); err != nil {
			return err
		}
	}
	stop()

	before := warm.Cache().Stats()
	pids, err := backendPIDs(ctx, pool)
	if err != nil {
		return err
	}
	pg := phase("postgis ST_AsMVT", "postgis", tiles, o, func(_, i int) (int, error) { return postgis(tiles[i]) }, pids...)
	un := phase("uncached /tiles", "uncached", tiles, o, fetch(coldURL, coldToken, nil))
	ca := phase("cached /tiles", "cached", tiles, o, fetch(warmURL, warmToken, nil))
	re := phase("revalidate (304)", "revalidate", tiles, o, fetch(warmURL, warmToken, etags))
	after := warm.Cache().Stats()
	fmt.Printf("ratio uncached/postgis %.1f×, cached/postgis %.1f×, revalidate/postgis %.1f×\n", un/pg, ca/pg, re/pg)
	fmt.Printf("warm cache during cached+revalidate: %d hits, %d misses, %d renders; cold renders %d\n",
		after.Hits-before.Hits, after.Misses-before.Misses, after.Renders-before.Renders, cold.Cache().Stats().Renders)
	return nil
}

// printMix prints the tile count and mean tile size per zoom.
func printMix(tiles []maptile.Tile, size map[string]map[uint32]int, gz bool) {
	count := map[uint32]int{}
	for _, t := range tiles {
		count[uint32(t.Z)]++
	}
	wire := "plain"
	if gz {
		wire = "gzip"
	}
	fmt.Printf("zoom  tiles  mean KiB: ours (MVT, %s)  postgis (MVT)\n", wire)
	for z := range uint32(31) {
		if count[z] == 0 {
			continue
		}
		n := float64(count[z]) * 1024
		fmt.Printf("z%-4d %5d  %9.1f %9.1f  %9.1f\n", z, count[z], float64(size["ours"][z])/n,
			float64(size["ours-wire"][z])/n, float64(size["postgis"][z])/n)
	}
}

// renderTimes renders every tile once in one goroutine without HTTP or
// cache and prints the time spent per zoom: where an uncached pass goes.
func renderTimes(ctx context.Context, svc *mapdata.Service, tiles []maptile.Tile) error {
	spent := map[uint32]time.Duration{}
	count := map[uint32]int{}
	var total time.Duration
	for _, t := range tiles {
		t0 := time.Now()
		if _, err := svc.Tile(ctx, "grids", int(t.Z), int(t.X), int(t.Y)); err != nil {
			return err
		}
		d := time.Since(t0)
		spent[uint32(t.Z)] += d
		count[uint32(t.Z)]++
		total += d
	}
	fmt.Printf("one pass, one goroutine, no HTTP: %s for %d tiles (%.0f tiles/s)\n", total.Round(time.Millisecond), len(tiles),
		float64(len(tiles))/total.Seconds())
	for z := range uint32(31) {
		if count[z] > 0 {
			fmt.Printf("  z%-3d mean %8s  %4.1f%% of the pass\n", z, (spent[z] / time.Duration(count[z])).Round(time.Microsecond),
				100*spent[z].Seconds()/total.Seconds())
		}
	}
	return nil
}

// postgisTileSQL is what pg_tileserv-style servers run: the grids layer with
// the same properties except the household count (a join pg_tileserv would
// not do), the same extent (4096), buffer (64) and clipping. ST_AsMVTGeom
// snaps to the integer grid and drops repeated points and collapsed parts,
// but does not simplify by a pixel tolerance as our encoder does (half a
// pixel, 8 units), so its tiles are somewhat bigger.
const postgisTileSQL = `
SELECT ST_AsMVT(q, 'grids', 4096, 'geom') FROM (
    SELECT u.code, u.name, u.level, u.kind, u.parent_code,
        ST_AsMVTGeom(ST_Transform(u.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
    FROM units u
    WHERE u.level = 4 AND u.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
) q`

// pickTiles takes up to perZoom distinct tiles per zoom under grid centres.
func pickTiles(ctx context.Context, pool *pgxpool.Pool, minZ, maxZ, perZoom int) ([]maptile.Tile, error) {
	rows, err := pool.Query(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM units WHERE level = 4 ORDER BY code) s`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var pts []orb.Point
	for rows.Next() {
		var p orb.Point
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		pts = append(pts, p)
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no grids: load a demo district first (wangge demo --scale 10000)")
	}
	r := rand.New(rand.NewPCG(1, 2))
	var out []maptile.Tile
	for z := minZ; z <= maxZ; z++ {
		seen := map[maptile.Tile]bool{}
		for _, i := range r.Perm(len(pts)) {
			if len(seen) == perZoom {
				break
			}
			t := maptile.At(pts[i], maptile.Zoom(z))
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out, rows.Err()
}

// serve starts a loopback server over svc and logs in.
func serve(st *store.Store, svc *mapdata.Service, log *slog.Logger, user string) (string, string, func(), error) {
	srv := httptest.NewServer(api.New(api.Options{Store: st, Map: svc, Static: static.FS, Logger: log}).Handler())
	pw := os.Getenv("WANGGE_DEMO_PASSWORD")
	resp, err := http.Post(srv.URL+"/api/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, pw)))
	if err != nil {
		srv.Close()
		return "", "", nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok string
	if _, after, ok := strings.Cut(string(body), `"token":"`); ok {
		tok, _, _ = strings.Cut(after, `"`)
	}
	if resp.StatusCode != 200 || tok == "" {
		srv.Close()
		return "", "", nil, fmt.Errorf("login as %s (set WANGGE_DEMO_PASSWORD): %d %s", user, resp.StatusCode, body)
	}
	return srv.URL, tok, srv.Close, nil
}

// backendPIDs opens every connection of the pool and returns their
// PostgreSQL backend process ids (for their CPU time).
func backendPIDs(ctx context.Context, pool *pgxpool.Pool) ([]uint32, error) {
	var pids []uint32
	var conns []*pgxpool.Conn
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range pool.Config().MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		pids = append(pids, c.Conn().PgConn().PID())
	}
	return pids, nil
}

// startProfile starts a CPU profile to prefix.name.pprof (none when prefix
// is empty) and returns its stop function.
func startProfile(prefix, name string) func() {
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(prefix + "." + name + ".pprof")
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tileload: cpu profile:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// phase runs fn over the tiles round-robin from o.conc workers until the
// time or request limit and prints the throughput and latency percentiles.
// fn gets the worker and the tile's index. The CPU of the processes pids
// (PostgreSQL backends) is counted with tileload's.
func phase(name, file string, tiles []maptile.Tile, o options, fn func(w, i int) (int, error), pids ...uint32) float64 {
	defer startProfile(o.cpuProfile, file)()
	var next atomic.Int64
	var failed atomic.Value
	lat := make([][]time.Duration, o.conc)
	deadline := time.Now().Add(o.duration)
	cpu0, pg0 := sampleCPU(), procCPU(pids)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(o.requests) {
					return
				}
				t0 := time.Now()
				if _, err := fn(w, int(i)%len(tiles)); err != nil {
					failed.Store(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1 := sampleCPU()
	self, machine := cores(cpu0, cpu1)
	backends := (procCPU(pids) - pg0).Seconds() / cpu1.at.Sub(cpu0.at).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if err, ok := failed.Load().(error); ok {
		fmt.Printf("%-18s error: %v\n", name, err)
	}
	if len(all) == 0 {
		return 0
	}
	rate := float64(len(all)) / elapsed.Seconds()
	used := fmt.Sprintf("tileload %.2f", self)
	if len(pids) > 0 {
		used += fmt.Sprintf(" + postgres %.2f", backends)
	}
	fmt.Printf("%-18s %8d tiles in %6.2fs  %7.0f tiles/s  p50 %8s  p99 %8s  %6.0f tiles/CPU-s  cores: %s, machine %.2f of %d\n",
		name, len(all), elapsed.Seconds(), rate, all[len(all)/2].Round(time.Microsecond), all[len(all)*99/100].Round(time.Microsecond),
		rate/(self+backends), used, machine, runtime.NumCPU())
	return rate
}
