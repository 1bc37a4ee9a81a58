package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"wangge/internal/dbtest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// BenchmarkPatrolDailySweep is the daily processing: W workers × 10 h
// at one fix every 10 s (W = PATROL_BENCH_WORKERS, default 100; the issue's
// city is 1,000), closed days swept by SweepPatrolDays (cleaning, trips,
// stops, in-grid time, coverage, the day track), against the floor of the
// same rows read once in SQL with a per-worker-day distance (a bare window
// function over the key), in the same run.
//
//	PATROL_BENCH_WORKERS=1000 go test -run '^$' -bench PatrolDailySweep -benchtime 1x ./internal/store/
func BenchmarkPatrolDailySweep(b *testing.B) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("PATROL_BENCH_WORKERS")); err == nil && v > 0 {
		n = v
	}
	pool, _ := dbtest.New(b)
	ctx := context.Background()
	st := store.New(pool)
	ids := workers(b, pool, n)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, workcal.CST)
	fixes := fleet(ids, day.Add(8*time.Hour), 3600, rand.New(rand.NewSource(7))) // 10 h at 10 s
	if _, err := pool.Exec(ctx, `SELECT ensure_patrol_partitions($1::date, $2::date)`, "2026-11-20", "2026-11-21"); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(fixes); i += 100000 {
		if _, err := st.CopyFixes(ctx, fixes[i:min(i+100000, len(fixes))]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `ANALYZE patrol_points`); err != nil {
		b.Fatal(err)
	}
	asOf := day.AddDate(0, 0, 1).Add(time.Hour)
	var sweepT, sqlT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := st.MarkPatrolDays(ctx, day, day.AddDate(0, 0, 1)); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		res, err := st.SweepPatrolDays(ctx, asOf, store.DefaultPatrolParams, 100000)
		sweepT += time.Since(t0)
		if err != nil || res.Computed != n {
			b.Fatalf("sweep: %+v %v", res, err)
		}
		t0 = time.Now()
		var km float64
		if err := pool.QueryRow(ctx, `
SELECT sum(d) / 1000 FROM (
    SELECT ST_DistanceSphere(pt, lag(pt) OVER (PARTITION BY user_id ORDER BY recorded_at)) AS d
    FROM patrol_points WHERE recorded_at >= $1 AND recorded_at < $2) t`, day, day.AddDate(0, 0, 1)).Scan(&km); err != nil {
			b.Fatal(err)
		}
		sqlT += time.Since(t0)
	}
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(sweepT), "sweep_s")
	b.ReportMetric(per(sqlT), "sql_floor_s")
	b.ReportMetric(sweepT.Seconds()/sqlT.Seconds(), "sweep/floor")
	fmt.Printf("daily sweep of %d workers × 10 h (%d fixes): %.1f s; the same rows' distance in one SQL pass %.1f s; ratio %.1f\n",
		n, len(fixes), per(sweepT), per(sqlT), sweepT.Seconds()/sqlT.Seconds())
}
