package hotspots_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/hotspot"
	"wangge/internal/dbtest"
	"wangge/internal/hotspots"
	"wangge/internal/store"
)

// syntheticDistrict is a square district of 100 × 100 grids of 200 m (10
// streets of 10 communities of 100 grids) near 30° N with n cases over the
// last 60 days: uniform, plus a tenth in a 600 m disc. Grid codes are set
// from the points (the placement trigger is not what is measured).
func syntheticDistrict(t *testing.T, n int) *pgxpool.Pool {
	t.Helper()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	// 200 m: 0.0020747° of longitude and 0.0018036° of latitude at 30° N.
	steps := []string{
		`CREATE TEMP TABLE g AS SELECT ix, iy, 120.0 + ix * 0.0020747 AS x0, 30.0 + iy * 0.0018036 AS y0,
            '330199' || lpad((iy / 10 + 1)::text, 3, '0') || lpad((ix / 10 + 1)::text, 3, '0') ||
            lpad(((iy % 10) * 10 + ix % 10 + 1)::text, 3, '0') AS code
         FROM generate_series(0, 99) ix, generate_series(0, 99) iy`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom) VALUES
            ('330199000000', NULL, 1, '基准区', 'admin', '330199', ST_Multi(ST_MakeEnvelope(120, 30, 120.20747, 30.18036, 4326)))`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
         SELECT '330199' || lpad((s + 1)::text, 3, '0') || '000', '330199000000', 2, '街道' || s, 'admin', '330199',
                ST_Multi(ST_MakeEnvelope(120, 30 + s * 0.018036, 120.20747, 30 + (s + 1) * 0.018036, 4326))
         FROM generate_series(0, 9) s`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
         SELECT '330199' || lpad((s + 1)::text, 3, '0') || lpad((c + 1)::text, 3, '0'), '330199' || lpad((s + 1)::text, 3, '0') || '000',
                3, '社区' || s || '-' || c, 'admin', '330199',
                ST_Multi(ST_MakeEnvelope(120 + c * 0.020747, 30 + s * 0.018036, 120 + (c + 1) * 0.020747, 30 + (s + 1) * 0.018036, 4326))
         FROM generate_series(0, 9) s, generate_series(0, 9) c`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
         SELECT code, left(code, 12), 4, '网格' || code, 'basic', '330199',
                ST_Multi(ST_MakeEnvelope(x0, y0, x0 + 0.0020747, y0 + 0.0018036, 4326)) FROM g`,
		`CREATE TEMP TABLE p AS SELECT CASE WHEN k % 10 = 0
                 THEN ST_Project(ST_MakePoint(120.06, 30.05)::geography, 600 * sqrt(random()), 2 * pi() * random())::geometry
                 ELSE ST_SetSRID(ST_MakePoint(120 + random() * 0.20747, 30 + random() * 0.18036), 4326) END AS pt,
                now() - random() * interval '60 days' AS at
         FROM generate_series(1, $1::int) k`,
		`INSERT INTO incidents (region_code, grid_code, community_code, type, category, title, pt, reported_at, source)
         SELECT '330199', g.code, left(g.code, 12), 'routine', 'cityorder.stall', '基准', p.pt, p.at, 'demo'
         FROM p JOIN g ON g.ix = least(99, floor((ST_X(p.pt) - 120) / 0.0020747))::int
                      AND g.iy = least(99, floor((ST_Y(p.pt) - 30) / 0.0018036))::int`,
		`ANALYZE`,
	}
	conn, err := pool.Acquire(ctx) // temp tables live on one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, q := range steps {
		var args []any
		if strings.Contains(q, "$1") {
			args = []any{n}
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	return pool
}

func timed(t *testing.T, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	if err := f(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return time.Since(start)
}

// TestHotspotBenchmark measures bins + Gi* for 1,000,000 cases over the
// 10,000-grid district (about 10,000 hexagons of 125 m), cold and cached,
// against the same counting as one PostGIS query in the same run. Opt in:
// WANGGE_HOTSPOT_BENCH=1 (it loads a million cases); WANGGE_HOTSPOT_BENCH_N
// changes the count.
func TestHotspotBenchmark(t *testing.T) {
	if os.Getenv("WANGGE_HOTSPOT_BENCH") == "" {
		t.Skip("set WANGGE_HOTSPOT_BENCH=1 to load a million cases and measure")
	}
	n := 1_000_000
	if s := os.Getenv("WANGGE_HOTSPOT_BENCH_N"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatal(err)
		}
	}
	load := time.Now()
	pool := syntheticDistrict(t, n)
	t.Logf("loaded %d cases over 10,000 grids in %v", n, time.Since(load).Round(time.Millisecond))
	ctx := context.Background()
	st := store.New(pool)
	to := time.Now().Add(time.Hour)
	base := hotspots.Query{Parent: "330199000000", From: to.Add(-90 * 24 * time.Hour), To: to, Value: "count"}
	hex, grid := base, base
	hex.Bins, hex.Zoom = "hex", 14
	grid.Bins = "grid"

	for _, q := range []hotspots.Query{hex, grid} {
		svc := hotspots.New(st, hotspots.Options{})
		var r *hotspots.Result
		cold := timed(t, "cold", func() (err error) { r, _, err = svc.Map(ctx, q); return err })
		var hit bool
		cached := timed(t, "cached", func() (err error) { _, hit, err = svc.Map(ctx, q); return err })
		if !hit {
			t.Fatal("second call not cached")
		}
		hot := 0
		for _, b := range r.Bins {
			if b.Class == 3 {
				hot++
			}
		}
		var ref time.Duration
		var refBins int
		if q.Bins == "hex" {
			// The two routes of binning, warm, best of three each, alternating: every point to
			// Go and binned there, or binned in the database (one row per hexagon).
			f := store.HotspotFilter{Parent: q.Parent, From: q.From, To: q.To}
			g := hotspot.NewHexGrid(hotspots.HexSize(q.Zoom), 120.1, 30.09)
			inGo, inSQL := time.Hour, time.Hour
			for range 3 {
				inGo = min(inGo, timed(t, "bin in Go", func() error {
					lons, lats, err := st.HotspotPoints(ctx, f)
					g.Count(lons, lats)
					return err
				}))
				inSQL = min(inSQL, timed(t, "bin in SQL", func() error {
					_, err := hexCountsSQL(ctx, pool, g)
					return err
				}))
			}
			t.Logf("hex binning of %d cases, best of 3: points to Go + binning there %v, binning in SQL %v (Go/SQL %.2f)",
				r.Total, inGo.Round(time.Millisecond), inSQL.Round(time.Millisecond), float64(inGo)/float64(inSQL))
			// The same counting in PostGIS: 125 m hexagons (ST_HexagonGrid, size = side) in
			// Web Mercator scaled to ground metres at 30° N, cases joined by their index.
			ref = timed(t, "reference", func() error {
				return pool.QueryRow(ctx, `WITH h AS MATERIALIZED (
                        SELECT ST_Transform(ST_SetSRID(h.geom, 3857), 4326) AS geom, h.i, h.j
                        FROM ST_HexagonGrid(125 / cos(radians(30)), ST_Transform(ST_MakeEnvelope(120, 30, 120.20747, 30.18036, 4326), 3857)) h)
                    SELECT count(*) FROM (SELECT h.i, h.j, count(*) FROM h JOIN incidents i ON i.pt && h.geom AND ST_Intersects(h.geom, i.pt)
                        WHERE i.reported_at >= $1 AND i.reported_at < $2 AND i.status <> 'invalid' GROUP BY 1, 2) x`,
					q.From, q.To).Scan(&refBins)
			})
		} else {
			ref = timed(t, "reference", func() error {
				return pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT u.code, count(i.id) FROM units u
                        LEFT JOIN incidents i ON i.grid_code = u.code AND i.reported_at >= $1 AND i.reported_at < $2 AND i.status <> 'invalid'
                        WHERE u.level = 4 AND u.code LIKE '330199%' GROUP BY 1) x`, q.From, q.To).Scan(&refBins)
			})
		}
		t.Logf("%s: %d bins (%d hot at 99%%), %d cases: cold %v, cached %v; PostGIS counting alone %v (%d bins): cold/PostGIS %.2f, PostGIS/cached %.0f",
			q.Bins, len(r.Bins), hot, r.Total, cold.Round(time.Millisecond), cached, ref.Round(time.Millisecond), refBins,
			float64(cold)/float64(ref), float64(ref)/float64(cached))

		// Tiles: the cluster's tile at zoom 14, uncached and cached.
		tl := maptile.At(orb.Point{120.06, 30.05}, 14)
		tq := q
		tcold := timed(t, "tile", func() error { _, err := svc.Tile(ctx, tq, 14, int(tl.X), int(tl.Y)); return err })
		twarm := timed(t, "tile cached", func() error { _, err := svc.Tile(ctx, tq, 14, int(tl.X), int(tl.Y)); return err })
		var mvt int
		tref := timed(t, "tile reference", func() error {
			return pool.QueryRow(ctx, `SELECT length(ST_AsMVT(t, 'hotspots')) FROM (
                    SELECT u.code, ST_AsMVTGeom(ST_Transform(u.geom, 3857), ST_TileEnvelope(14, $1, $2)) AS geom FROM units u
                    WHERE u.level = 4 AND u.geom && ST_Transform(ST_TileEnvelope(14, $1, $2), 4326)) t`, int(tl.X), int(tl.Y)).Scan(&mvt)
		})
		tnext := timed(t, "next tile", func() error { _, err := svc.Tile(ctx, tq, 14, int(tl.X)+1, int(tl.Y)); return err })
		t.Logf("%s tile 14/%d/%d: first (builds the map's tile layer) %v, next uncached %v, cached %v; ST_AsMVT of the grid outlines alone %v",
			q.Bins, tl.X, tl.Y, tcold.Round(time.Microsecond), tnext.Round(time.Microsecond), twarm.Round(time.Microsecond), tref.Round(time.Microsecond))
	}
}
