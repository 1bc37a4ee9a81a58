package api_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// TestUnitStatsCountPatrolHours: worker-days computed by the sweep, re-dated
// across a China-time month end, recomputed with more time, a worker's grid
// deleted by an adjust-mode boundary edit, and days deleted keep
// patrol_s_YYYY-MM equal to a full recount at every level; the hours stay
// with the unit the day was computed for.
func TestUnitStatsCountPatrolHours(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 2, Password: demoPassword})
	base := ownServer(t, pool)
	ctx := context.Background()
	st := store.New(pool)
	check := statsChecker(t, pool)
	now := time.Now()
	if n, err := st.MarkPatrolDays(ctx, now.AddDate(0, 0, -5), now.AddDate(0, 0, 1)); err != nil || n == 0 {
		t.Fatalf("marked %d worker-days: %v", n, err)
	}
	if r, err := st.SweepPatrolDays(ctx, now, store.DefaultPatrolParams, 100000); err != nil || r.Computed == 0 {
		t.Fatalf("sweep %+v: %v", r, err)
	}
	var days, unplaced int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE unit_code IS NULL) FROM patrol_days`).Scan(&days, &unplaced); err != nil {
		t.Fatal(err)
	}
	if days == 0 || unplaced != 0 {
		t.Fatalf("%d worker-days, %d without a unit", days, unplaced)
	}
	check("the sweep's inserts")

	// One worker's days on both sides of a month end, and more time on one.
	var user int64
	var grid string
	if err := pool.QueryRow(ctx, `SELECT d.user_id, d.unit_code FROM patrol_days d JOIN units u ON u.code = d.unit_code
	    WHERE u.level = 4 AND u.kind = 'basic' ORDER BY d.unit_code, d.user_id LIMIT 1`).Scan(&user, &grid); err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `INSERT INTO patrol_days (user_id, day, region_code, closed, distance_m, patrol_seconds, moving_seconds,
	        stopped_seconds, in_grid_seconds, coverage_radius_m, coverage_ratio, fixes, dropped, trips, stops, unit_code, parent_code)
	    SELECT user_id, d, region_code, true, distance_m, 3600.4 + extract(day FROM d), moving_seconds, stopped_seconds,
	        in_grid_seconds, coverage_radius_m, coverage_ratio, fixes, dropped, trips, stops, unit_code, parent_code
	    FROM (SELECT * FROM patrol_days WHERE user_id = $1 ORDER BY day LIMIT 1) p,
	        unnest(ARRAY[date '2026-10-31', date '2026-11-01']) d`, user)
	check("two days across a month end")
	mustExec(t, pool, `UPDATE patrol_days SET day = date '2026-11-02' WHERE user_id = $1 AND day = '2026-10-31'`, user)
	check("a day re-dated into the next month")
	mustExec(t, pool, `UPDATE patrol_days SET patrol_seconds = patrol_seconds + 1800.6 WHERE user_id = $1`, user)
	check("more time on the worker's days")

	var community string
	var month int64
	if err := pool.QueryRow(ctx, `SELECT parent_code FROM units WHERE code = $1`, grid).Scan(&community); err != nil {
		t.Fatal(err)
	}
	communityHours := func() int64 {
		t.Helper()
		var n int64
		if err := pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM unit_stat_deltas WHERE code = $1 AND key LIKE 'patrol\_s\_%'`, community).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	month = communityHours()
	if month == 0 {
		t.Fatalf("community %s has no patrol time", community)
	}

	// A boundary edit in adjust mode deletes the worker's grid: the days keep
	// their hours in the community (and so in the street and district).
	var version int
	if err := pool.QueryRow(ctx, `SELECT version FROM units WHERE code = $1`, grid).Scan(&version); err != nil {
		t.Fatal(err)
	}
	tok := loginAs(t, base, "admin")
	resp, body := do(t, "DELETE", base+"/api/grids/"+grid+"?mode=adjust&reason=stats&version="+strconv.Itoa(version), tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("adjust delete: %d %s", resp.StatusCode, body)
	}
	check("an adjust-mode delete of grid " + grid)
	if n := communityHours(); n != month {
		t.Fatalf("community %s: %d s patrolled before the grid was deleted, %d after", community, month, n)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM patrol_days WHERE user_id = $1 AND unit_code IS NULL AND parent_code = $2`, user, community).Scan(&left); err != nil || left == 0 {
		t.Fatalf("%d of the worker's days kept with the community: %v", left, err)
	}

	if n := mustExec(t, pool, `DELETE FROM patrol_days WHERE ctid IN (SELECT ctid FROM patrol_days ORDER BY user_id DESC, day LIMIT 7)`); n != 7 {
		t.Fatalf("deleted %d days", n)
	}
	check("days deleted")
	if _, err := store.CompactUnitStats(ctx, pool); err != nil {
		t.Fatal(err)
	}
	check("compaction")

	// unit-stats answers the month's seconds at the district, as the rows sum them.
	var district, key string
	var want int64
	if err := pool.QueryRow(ctx, `SELECT left($1::text, 6) || '000000', 'patrol_s_' || to_char(day, 'YYYY-MM'), sum(round(patrol_seconds))::bigint
	    FROM patrol_days WHERE coalesce(unit_code, parent_code) IS NOT NULL GROUP BY 2 ORDER BY 2 DESC LIMIT 1`, community).Scan(&district, &key, &want); err != nil {
		t.Fatal(err)
	}
	resp, body = do(t, "GET", base+"/api/reports/unit-stats?unit="+district, tok, "")
	var r struct{ Unit store.UnitStat }
	if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
		t.Fatalf("unit-stats: %d %s", resp.StatusCode, body)
	}
	if r.Unit.Counts[key] != want {
		t.Fatalf("district %s %s: answered %d, patrol_days %d", district, key, r.Unit.Counts[key], want)
	}
}
