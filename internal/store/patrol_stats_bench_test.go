package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// BenchmarkPatrolDayStats is the cost of keeping patrol_s_YYYY-MM (migration
// 160) on the writes it rides on. The trigger is on patrol_days, not on the
// raw fixes, so a bulk GPS upload (CopyFixes) runs no statistics trigger; the
// days are written by the sweep and by bulk loads. Each round, in rotating
// order, on the same rows: the demo's worker-days recomputed by the sweep,
// and a bulk INSERT … SELECT of 100,000 worker-days (the demo's workers over
// consecutive days), each with the statistics triggers and with them
// disabled (the bare write).
//
//	go test -run '^$' -bench PatrolDayStats -benchtime 3x ./internal/store/
func BenchmarkPatrolDayStats(b *testing.B) {
	pool, _ := dbtest.Demo(b, demo.Options{PatrolDays: 1, Password: "bench-password"})
	ctx := context.Background()
	st := store.New(pool)
	exec := func(sql string, args ...any) {
		b.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	triggers := func(on bool) {
		verb := "DISABLE"
		if on {
			verb = "ENABLE"
		}
		for _, t := range []string{"patrol_days_stats_ins", "patrol_days_stats_upd", "patrol_days_stats_del"} {
			exec(`ALTER TABLE patrol_days ` + verb + ` TRIGGER ` + t)
		}
	}
	now := time.Now()
	sweep := func() time.Duration {
		if _, err := st.MarkPatrolDays(ctx, now.AddDate(0, 0, -3), now.AddDate(0, 0, 1)); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if r, err := st.SweepPatrolDays(ctx, now, store.DefaultPatrolParams, 100000); err != nil || r.Computed == 0 {
			b.Fatalf("sweep %+v: %v", r, err)
		}
		return time.Since(t0)
	}
	var workers int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT user_id) FROM patrol_workers`).Scan(&workers); err != nil || workers == 0 {
		b.Fatalf("%d workers: %v", workers, err)
	}
	days := (100000 + workers - 1) / workers
	bulk := func() time.Duration {
		exec(`DELETE FROM patrol_days WHERE day < '2020-01-01'`)
		t0 := time.Now()
		exec(`INSERT INTO patrol_days (user_id, day, region_code, closed, distance_m, patrol_seconds, moving_seconds,
		        stopped_seconds, in_grid_seconds, coverage_radius_m, fixes, dropped, trips, stops, unit_code, parent_code)
		    SELECT w.user_id, date '2010-01-01' + d, left(w.unit_code, 6), true, 5000, 3600 + d % 600, 3000, 600, 3000, 50, 360, 0,
		        '[]', '[]', w.unit_code, u.parent_code
		    FROM (SELECT user_id, min(unit_code) AS unit_code FROM patrol_workers GROUP BY 1) w
		    JOIN units u ON u.code = w.unit_code, generate_series(0, $1 - 1) d`, days)
		return time.Since(t0)
	}
	var sweepOn, sweepOff, bulkOn, bulkOff time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, on := range [][]bool{{true, false}, {false, true}}[i%2] {
			triggers(on)
			s, k := sweep(), bulk()
			if on {
				sweepOn, bulkOn = sweepOn+s, bulkOn+k
			} else {
				sweepOff, bulkOff = sweepOff+s, bulkOff+k
			}
		}
	}
	b.StopTimer()
	triggers(true)
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(bulkOn.Seconds()/bulkOff.Seconds(), "bulk_with/bare")
	b.ReportMetric(sweepOn.Seconds()/sweepOff.Seconds(), "sweep_with/bare")
	fmt.Printf("patrol statistics trigger: bulk insert of %d worker-days %.2f s with it, %.2f s bare (×%.2f); sweep of the demo's days %.2f s with it, %.2f s bare (×%.2f)\n",
		days*workers, per(bulkOn), per(bulkOff), bulkOn.Seconds()/bulkOff.Seconds(), per(sweepOn), per(sweepOff), sweepOn.Seconds()/sweepOff.Seconds())
}
