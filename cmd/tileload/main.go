// Command tileload measures map tile serving on loopback against the
// PostGIS floor: the same tiles rendered by ST_AsMVT(ST_AsMVTGeom(...)).
//
//	DATABASE_URL=postgres://…/wangge_scale WANGGE_DEMO_PASSWORD=… tileload [flags]
//
// The database must hold a demo district (wangge demo --scale 10000 for the
// city-sized one) with its demo users. Three phases, each bounded by
// --duration and --requests, run with --concurrency workers:
//
//	postgis   ST_AsMVT per tile over the pool (no HTTP): the reference
//	uncached  GET /tiles/grids/z/x/y.mvt with the tile cache disabled
//	cached    the same with every tile already cached
//
// It prints tiles/s, p50 and p99 per phase and the ratios to PostGIS.
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

func main() {
	minZ := flag.Int("minzoom", 10, "lowest zoom")
	maxZ := flag.Int("maxzoom", 16, "highest zoom")
	perZoom := flag.Int("tiles", 300, "distinct tiles per zoom (around grid centres)")
	duration := flag.Duration("duration", 10*time.Second, "time limit of each phase")
	requests := flag.Int("requests", 300000, "request limit of each phase")
	conc := flag.Int("concurrency", 8, "concurrent workers")
	user := flag.String("user", "admin", "demo user to log in as (password: WANGGE_DEMO_PASSWORD)")
	flag.Parse()
	if err := run(*minZ, *maxZ, *perZoom, *duration, *requests, *conc, *user); err != nil {
		fmt.Fprintln(os.Stderr, "tileload:", err)
		os.Exit(1)
	}
}

func run(minZ, maxZ, perZoom int, duration time.Duration, requests, conc int, user string) error {
	ctx := context.Background()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	dsn := cfg.DatabaseURL
	if dsn == "" {
		if dsn, err = cfg.Cluster(func(string, ...any) {}).Ensure(ctx); err != nil {
			return err
		}
	}
	pool, err := store.OpenPool(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	tiles, err := pickTiles(ctx, pool, minZ, maxZ, perZoom)
	if err != nil {
		return err
	}
	fmt.Printf("%d tiles at z%d–z%d, %d workers, each phase ≤ %s and ≤ %d requests\n", len(tiles), minZ, maxZ, conc, duration, requests)

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
	coldURL, coldToken, closeCold, err := serve(st, cold, quiet, user)
	if err != nil {
		return err
	}
	defer closeCold()
	warmURL, warmToken, closeWarm, err := serve(st, warm, quiet, user)
	if err != nil {
		return err
	}
	defer closeWarm()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2, DisableCompression: true}}
	fetch := func(base, token string) func(maptile.Tile) error {
		return func(t maptile.Tile) error {
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/grids/%d/%d/%d.mvt", base, t.Z, t.X, t.Y), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Accept-Encoding", "gzip")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("tile %v: status %d", t, resp.StatusCode)
			}
			return err
		}
	}
	postgis := func(t maptile.Tile) error {
		var b []byte
		return pool.QueryRow(ctx, postgisTileSQL, int(t.Z), int(t.X), int(t.Y)).Scan(&b)
	}
	// Warm the cache: every tile once.
	for _, t := range tiles {
		if err := fetch(warmURL, warmToken)(t); err != nil {
			return err
		}
	}
	pg := phase("postgis ST_AsMVT", tiles, duration, requests, conc, postgis)
	un := phase("uncached /tiles", tiles, duration, requests, conc, fetch(coldURL, coldToken))
	ca := phase("cached /tiles", tiles, duration, requests, conc, fetch(warmURL, warmToken))
	fmt.Printf("ratio uncached/postgis %.1f×, cached/postgis %.1f×\n", un/pg, ca/pg)
	return nil
}

// postgisTileSQL is what pg_tileserv-style servers run: the grids layer with
// the same properties except the household count.
const postgisTileSQL = `
SELECT ST_AsMVT(q, 'grids', 4096, 'geom') FROM (
    SELECT u.code, u.name, u.level, u.kind, u.parent_code,
        ST_AsMVTGeom(ST_Transform(u.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
    FROM units u
    WHERE u.level = 4 AND u.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)
) q`

// pickTiles takes up to perZoom distinct tiles per zoom under grid centres.
func pickTiles(ctx context.Context, pool *pgxpool.Pool, minZ, maxZ, perZoom int) ([]maptile.Tile, error) {
	rows, err := pool.Query(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM units WHERE level = 4) s`)
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

// phase runs fn over the tiles round-robin from conc workers until the time
// or request limit and prints the throughput and latency percentiles.
func phase(name string, tiles []maptile.Tile, limit time.Duration, requests, conc int, fn func(maptile.Tile) error) float64 {
	var next atomic.Int64
	var failed atomic.Value
	lat := make([][]time.Duration, conc)
	deadline := time.Now().Add(limit)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(requests) {
					return
				}
				t0 := time.Now()
				if err := fn(tiles[int(i)%len(tiles)]); err != nil {
					failed.Store(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	if err, ok := failed.Load().(error); ok {
		fmt.Printf("%-18s error: %v\n", name, err)
	}
	if len(all) == 0 {
		return 0
	}
	rate := float64(len(all)) / elapsed.Seconds()
	fmt.Printf("%-18s %8d tiles in %6.2fs  %9.0f tiles/s  p50 %8s  p99 %8s\n", name, len(all), elapsed.Seconds(), rate,
		all[len(all)/2].Round(time.Microsecond), all[len(all)*99/100].Round(time.Microsecond))
	return rate
}
