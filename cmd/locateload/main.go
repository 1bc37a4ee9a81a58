// Command locateload measures single-point "which grid" lookups over HTTP
// under concurrent load, side by side with the same question asked of PostGIS
// (ST_Intersects on the GiST index, smallest code on a shared boundary).
//
//	DATABASE_URL=postgres://…/wangge_scale WANGGE_DEMO_PASSWORD=… locateload [flags]
//
// The database must hold a demo district with its demo users (wangge demo
// --scale 10000 for the city-sized one). The server runs in this process on
// loopback; every phase is bounded by --duration and --requests.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/api"
	"wangge/internal/config"
	"wangge/internal/loadgen"
	"wangge/internal/lookup"
	"wangge/internal/store"
	"wangge/static"
)

const postgisLocateSQL = `
SELECT min(code) FROM units
WHERE level = 4 AND ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`

func main() {
	duration := flag.Duration("duration", 10*time.Second, "time limit of each phase")
	requests := flag.Int("requests", 200000, "request limit of each phase")
	conc := flag.Int("concurrency", 8, "concurrent workers")
	points := flag.Int("points", 10000, "distinct random points over the district")
	flag.Parse()
	if err := run(*duration, *requests, *conc, *points); err != nil {
		fmt.Fprintln(os.Stderr, "locateload:", err)
		os.Exit(1)
	}
}

func run(limit time.Duration, requests, conc, n int) error {
	ctx := context.Background()
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" || os.Getenv("WANGGE_DEMO_PASSWORD") == "" {
		return errors.New("set DATABASE_URL (a database with a demo district) and WANGGE_DEMO_PASSWORD")
	}
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	var b orb.Bound
	if err := pool.QueryRow(ctx, `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM units WHERE level = 4) x`).
		Scan(&b.Min[0], &b.Min[1], &b.Max[0], &b.Max[1]); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := lookup.New(st, quiet)
	t0 := time.Now()
	if err := svc.Load(ctx); err != nil {
		return err
	}
	fmt.Printf("%d grids loaded in %s; %d points, %d workers, each phase ≤ %s and ≤ %d requests\n",
		svc.Len(), time.Since(t0).Round(time.Millisecond), n, conc, limit, requests)
	srv := httptest.NewServer(api.New(api.Options{Store: st, Lookup: svc, Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	token, err := login(srv.URL, "officer", os.Getenv("WANGGE_DEMO_PASSWORD"))
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}

	pg := loadgen.Run("postgis ST_Intersects", pts, conc, requests, limit, func(p orb.Point) error {
		var code *string
		return pool.QueryRow(ctx, postgisLocateSQL, p[0], p[1]).Scan(&code)
	})
	fmt.Println(pg)
	web := loadgen.Run("GET /api/locate", pts, conc, requests, limit, func(p orb.Point) error {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/locate?lon=%.7f&lat=%.7f", srv.URL, p[0], p[1]), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	fmt.Println(web)
	if pg.Rate > 0 {
		fmt.Printf("ratio HTTP lookups / PostGIS queries: %.1f×\n", web.Rate/pg.Rate)
	}
	return nil
}

func login(base, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(base+"/api/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.Token == "" {
		return "", fmt.Errorf("login as %s: status %d", user, resp.StatusCode)
	}
	return r.Token, nil
}
