package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/dbtest"
	"wangge/internal/ingest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// TestPatrolPartitionsKeptByPartman: the daily partitions of patrol_points
// are pg_partman's, made ahead on China-time days; an upload for a made day
// creates nothing, a late upload for an old day makes its day, and the
// maintenance moves days past the retention to patrol_archive with their
// fixes. A day whose fixes already sit in the default partition is left.
func TestPatrolPartitionsKeptByPartman(t *testing.T) {
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	st := store.New(pool)

	var retention string
	if err := pool.QueryRow(ctx, `SELECT retention FROM partman.part_config WHERE parent_table = 'public.patrol_points'`).Scan(&retention); err != nil || retention != "400 days" {
		t.Fatalf("part_config: %q %v", retention, err)
	}
	// A test database is cloned from a template made on some earlier day:
	// bring its days up to date as the timer would.
	if _, err := store.MaintainPatrolPartitions(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var user int64
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, password_hash, role) VALUES ('walker', 'x', 'officer') RETURNING id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(workcal.CST)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, workcal.CST)
	partition := func(day time.Time) string { return "patrol_points_p" + day.Format("2006_01_02") }

	// Made ahead: today and the next days exist, bounded by CST midnights.
	for d := 0; d <= 7; d++ {
		day := today.AddDate(0, 0, d)
		var lo, hi time.Time
		err := pool.QueryRow(ctx, `
SELECT (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)'))[1]::timestamptz,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)'))[2]::timestamptz
FROM pg_class c WHERE c.relname = $1`, partition(day)).Scan(&lo, &hi)
		if err != nil || !lo.Equal(day) || !hi.Equal(day.AddDate(0, 0, 1)) {
			t.Fatalf("partition %s: [%v, %v) %v", partition(day), lo, hi, err)
		}
	}
	ensure := func(from, to time.Time) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, `SELECT ensure_patrol_partitions($1::date, $2::date)`,
			from.Format(time.DateOnly), to.Format(time.DateOnly)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := ensure(today, today.AddDate(0, 0, 3)); n != 0 {
		t.Fatalf("made %d partitions for days made ahead", n)
	}
	fix := func(at time.Time) []ingest.Fix { return []ingest.Fix{{At: at, Point: orb.Point{120.1, 30.2}}} }
	where := func(at time.Time) string {
		t.Helper()
		var rel string
		if err := pool.QueryRow(ctx, `SELECT tableoid::regclass::text FROM patrol_points WHERE user_id = $1 AND recorded_at = $2`, user, at).Scan(&rel); err != nil {
			t.Fatalf("fix at %v: %v", at, err)
		}
		return rel
	}
	// Just before CST midnight belongs to today, not to tomorrow (UTC's day).
	late := today.Add(23*time.Hour + 59*time.Minute)
	if n, err := st.AddFixes(ctx, "330100", user, fix(late)); err != nil || n != 1 {
		t.Fatalf("add today: %d %v", n, err)
	}
	if rel := where(late); rel != partition(today) {
		t.Fatalf("today's fix in %s", rel)
	}

	// A late upload of a day long gone makes that day, then the maintenance archives it.
	old := today.AddDate(0, 0, -500)
	if n, err := st.AddFixes(ctx, "330100", user, fix(old.Add(10*time.Hour))); err != nil || n != 1 {
		t.Fatalf("add old: %d %v", n, err)
	}
	if rel := where(old.Add(10 * time.Hour)); rel != partition(old) {
		t.Fatalf("old fix in %s", rel)
	}
	n, err := store.MaintainPatrolPartitions(ctx, pool)
	if err != nil || n < 1 {
		t.Fatalf("maintain: %d %v", n, err)
	}
	var live, archived int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM patrol_points WHERE user_id = $1 AND recorded_at < $2`, user, today).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM patrol_archive.`+partition(old)).Scan(&archived); err != nil {
		t.Fatal(err)
	}
	if live != 0 || archived != 1 {
		t.Fatalf("after retention: %d live, %d archived", live, archived)
	}
	if n, err := store.MaintainPatrolPartitions(ctx, pool); err != nil || n != 0 {
		t.Fatalf("second maintenance did %d: %v", n, err)
	}

	// Fixes already in the default partition keep their day from being made.
	far := today.AddDate(0, 0, 40)
	if _, err := pool.Exec(ctx, `INSERT INTO patrol_points (region_code, user_id, recorded_at, pt) VALUES ('330100', $1, $2, ST_Point(120.1, 30.2, 4326))`, user, far.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := ensure(far, far.AddDate(0, 0, 1)); n != 0 {
		t.Fatalf("made %d partitions over default rows", n)
	}
	if rel := where(far.Add(time.Hour)); rel != "patrol_points_default" {
		t.Fatalf("far fix in %s", rel)
	}
}
