package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// BenchmarkPatrolGaps: the coverage gaps of one community over a month of
// the demo's patrols (every grid worker, 30 days), against the floor of
// reading and buffering the same day tracks without the union and the
// difference, in the same run.
//
//	go test -run '^$' -bench PatrolGaps -benchtime 3x ./internal/store/
func BenchmarkPatrolGaps(b *testing.B) {
	pool, st := sweptDemo(b, 40, 30)
	ctx := context.Background()
	now := time.Now()
	var community string
	var days int
	if err := pool.QueryRow(ctx, `
SELECT u.code, count(d.*) FROM units u JOIN patrol_days d ON d.track && u.geom
WHERE u.level = 3 GROUP BY u.code ORDER BY count(d.*) DESC, u.code LIMIT 1`).Scan(&community, &days); err != nil {
		b.Fatal(err)
	}
	from, to := now.AddDate(0, 0, -30).Format(time.DateOnly), now.Format(time.DateOnly)
	var gapT, floorT time.Duration
	var area float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fc, err := st.PatrolGaps(ctx, community, from, to, 50)
		gapT += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		area = fc.Summary["gap_ratio"].(float64)
		t0 = time.Now()
		var n int64
		if err := pool.QueryRow(ctx, `
SELECT sum(ST_NPoints(ST_Buffer(d.track::geography, 50, 'quad_segs=4')::geometry))
FROM patrol_days d, units g
WHERE g.code = $1 AND d.region_code = left($1, 6) AND d.day BETWEEN $2::date AND $3::date AND d.track && g.geom`,
			community, from, to).Scan(&n); err != nil {
			b.Fatal(err)
		}
		floorT += time.Since(t0)
	}
	per := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
	b.ReportMetric(per(gapT), "gaps_ms")
	b.ReportMetric(per(floorT), "buffers_only_ms")
	fmt.Printf("gaps of community %s over 30 days (%d worker-day tracks, gap share %.2f): %.0f ms; buffering the same tracks alone %.0f ms; ratio %.1f\n",
		community, days, area, per(gapT), per(floorT), gapT.Seconds()/floorT.Seconds())
}

// sweptDemo loads a demo district of grids grids with days days of patrol
// tracks and sweeps every worker-day, as the server's timer would.
func sweptDemo(b *testing.B, grids, days int) (*pgxpool.Pool, *store.Store) {
	b.Helper()
	pool, _ := dbtest.Demo(b, demo.Options{Grids: grids, PatrolDays: days})
	ctx := context.Background()
	st := store.New(pool)
	now := time.Now()
	if _, err := st.MarkPatrolDays(ctx, now.AddDate(0, 0, -days-1), now.AddDate(0, 0, 1)); err != nil {
		b.Fatal(err)
	}
	for {
		res, err := st.SweepPatrolDays(ctx, now, store.DefaultPatrolParams, 5000)
		if err != nil {
			b.Fatal(err)
		}
		if res.Computed == 0 {
			return pool, st
		}
	}
}
