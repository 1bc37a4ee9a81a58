package lookup_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/lookup"
	"wangge/internal/store"
)

// Agreement sizes. The default run checks 60,000 random points per district
// (plus every grid vertex and edge midpoint) on the demo and a generated
// 300-grid district, to stay within the package's time budget (generating
// 2,000 grids with their households alone takes about a minute). The full
// check, a million points over the demo and a 2,000-grid district:
//
//	WANGGE_LOOKUP_POINTS=500000 WANGGE_LOOKUP_GRIDS=2000 go test ./internal/lookup -run Agrees
//
// WANGGE_LOOKUP_DSN instead points the larger case at an existing district
// (such as `wangge demo --scale 10000`).
const (
	defaultPoints = 60000
	defaultGrids  = 300
)

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return def
}

// TestAgreesWithPostGIS compares every lookup with PostGIS under the rule
// geo/locate documents: min(code) among grids whose closed area
// (ST_Intersects) holds the point, on the demo district and a generated
// larger one.
func TestAgreesWithPostGIS(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		grids  int
		points int
	}{
		{"demo", 0, envInt("WANGGE_LOOKUP_POINTS", defaultPoints)},
		{"large", envInt("WANGGE_LOOKUP_GRIDS", defaultGrids), envInt("WANGGE_LOOKUP_POINTS", defaultPoints)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var pool *pgxpool.Pool
			if dsn := os.Getenv("WANGGE_LOOKUP_DSN"); dsn != "" && c.name == "large" {
				// An existing district, e.g. one loaded with wangge demo --scale 10000;
				// the check only reads it (and uses temporary tables).
				var err error
				if pool, err = store.OpenPool(context.Background(), dsn); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pool.Close)
			} else {
				pool, _ = dbtest.Demo(t, demo.Options{Grids: c.grids, PatrolDays: -1})
			}
			st := store.New(pool)
			svc := lookup.New(st, quiet)
			ctx := context.Background()
			if err := svc.Load(ctx); err != nil {
				t.Fatal(err)
			}
			cells, err := st.GridCells(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pts := agreementPoints(t, pool, cells, c.points)
			start := time.Now()
			want := postgisAnswers(t, pool, pts)
			pgTime := time.Since(start)
			rd, err := svc.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			start = time.Now()
			bad, inside := 0, 0
			for i, p := range pts {
				got, _ := rd.Code(p)
				if got != want[i] {
					if bad < 10 {
						t.Errorf("point %d %v: index %q, PostGIS %q", i, p, got, want[i])
					}
					bad++
				}
				if got != "" {
					inside++
				}
			}
			t.Logf("%d grids, %d points (%d in a grid, %d random): PostGIS %v, index %v; %d disagree",
				len(cells), len(pts), inside, c.points, pgTime, time.Since(start), bad)
			if bad > 0 {
				t.Fatalf("%d of %d points disagree", bad, len(pts))
			}
			if inside < len(pts)/2 {
				t.Fatalf("only %d of %d points fell in a grid: the sample misses the district", inside, len(pts))
			}
		})
	}
}

// agreementPoints: n uniform points over the district's box grown by 2%
// (some fall outside every grid), every distinct grid vertex (shared by up
// to several grids: the boundary rule decides) and every edge midpoint.
func agreementPoints(t *testing.T, pool *pgxpool.Pool, cells []cellT, n int) []orb.Point {
	t.Helper()
	var b [4]float64
	if err := pool.QueryRow(context.Background(),
		`SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry AS e FROM units WHERE level = 4) x`).
		Scan(&b[0], &b[1], &b[2], &b[3]); err != nil {
		t.Fatal(err)
	}
	dx, dy := (b[2]-b[0])*0.02, (b[3]-b[1])*0.02
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	pts := make([]orb.Point, 0, n+len(cells)*40)
	for range n {
		pts = append(pts, orb.Point{b[0] - dx + rng.Float64()*(b[2]-b[0]+2*dx), b[1] - dy + rng.Float64()*(b[3]-b[1]+2*dy)})
	}
	seen := map[orb.Point]bool{}
	for _, c := range cells {
		for _, poly := range c.Geometry {
			for _, r := range poly {
				for i, p := range r {
					if !seen[p] {
						seen[p] = true
						pts = append(pts, p)
					}
					if i > 0 {
						q := r[i-1]
						pts = append(pts, orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2})
					}
				}
			}
		}
	}
	return pts
}

// postgisAnswers copies pts into temp tables (one per worker connection)
// and asks PostGIS for each point's grid under the documented rule.
func postgisAnswers(t *testing.T, pool *pgxpool.Pool, pts []orb.Point) []string {
	t.Helper()
	const workers = 4
	out := make([]string, len(pts))
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	chunk := (len(pts) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(pts))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := postgisChunk(pool, pts, lo, hi, out); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

const agreeSQL = `
SELECT p.id, (SELECT min(u.code) FROM units u
              WHERE u.level = 4 AND ST_Intersects(u.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)))
FROM agree_pts p`

func postgisChunk(pool *pgxpool.Pool, pts []orb.Point, lo, hi int, out []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE agree_pts (id int PRIMARY KEY, x float8, y float8)`); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), `DROP TABLE agree_pts`) //nolint:errcheck
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"agree_pts"}, []string{"id", "x", "y"},
		pgx.CopyFromSlice(hi-lo, func(i int) ([]any, error) {
			p := pts[lo+i]
			return []any{int32(lo + i), p[0], p[1]}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	rows, err := conn.Query(ctx, agreeSQL)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int32
		var code *string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		if code != nil {
			out[id] = *code
		}
	}
	return rows.Err()
}
