package workreport_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/internal/workreport"
)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	p, err := workreport.ParsePeriod("2026-Q4", now)
	if err != nil || p.From.Format(time.RFC3339) != "2026-10-01T00:00:00+08:00" || p.To.Format("2006-01-02") != "2027-01-01" {
		t.Fatalf("Q4: %v %v %v", p.From, p.To, err)
	}
	if p, err = workreport.ParsePeriod("2026-02", now); err != nil || p.To.Format("2006-01-02") != "2026-03-01" {
		t.Fatalf("month: %v %v", p.To, err)
	}
	for _, bad := range []string{"2027-01", "2027-Q1", "2026-13", "2026-Q5", "2026-1", ""} {
		if _, err := workreport.ParsePeriod(bad, now); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// count runs an independent count (starts_with, not LIKE) for the total.
func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) float64 {
	t.Helper()
	var n float64
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestComputeAgainstSQL(t *testing.T) {
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 16, PatrolDays: 2})
	ctx := context.Background()
	// The patrol days are the sweep's, from the demo's tracks.
	st := store.New(pool)
	if n, err := st.MarkPatrolDays(ctx, time.Now().AddDate(0, 0, -5), time.Now().AddDate(0, 0, 1)); err != nil || n == 0 {
		t.Fatalf("mark: %d %v", n, err)
	}
	if _, err := st.SweepPatrolDays(ctx, time.Now(), store.DefaultPatrolParams, 10000); err != nil {
		t.Fatal(err)
	}
	var street, prefix string
	if err := pool.QueryRow(ctx, `SELECT code, unit_scope(code) FROM units WHERE level = 2 ORDER BY code LIMIT 1`).Scan(&street, &prefix); err != nil {
		t.Fatal(err)
	}
	// The demo's incidents and patrol days are in the last days: the quarter holds most of them.
	now := time.Now()
	q := (int(now.In(time.FixedZone("", 8*3600)).Month())-1)/3 + 1
	period, err := workreport.ParsePeriod(now.In(time.FixedZone("", 8*3600)).Format("2006")+"-Q"+string(rune('0'+q)), now)
	if err != nil {
		t.Fatal(err)
	}
	r, err := workreport.Compute(ctx, st, street, period, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Rows[len(r.Rows)-1]
	if !tot.Total || tot.Code != street || len(r.Rows) < 2 {
		t.Fatalf("rows: %+v", r.Rows)
	}
	want := map[string]float64{
		"cases": count(t, pool, `SELECT count(*) FROM incidents WHERE starts_with(coalesce(grid_code, community_code), $1)
            AND reported_at BETWEEN $2 AND $3 AND reported_at <> $3`, prefix, period.From, period.To),
		"closed": count(t, pool, `SELECT count(*) FROM incidents WHERE starts_with(coalesce(grid_code, community_code), $1)
            AND reported_at BETWEEN $2 AND $3 AND reported_at <> $3 AND status = 'closed'`, prefix, period.From, period.To),
		"overdue": count(t, pool, `SELECT count(*) FROM incidents WHERE starts_with(coalesce(grid_code, community_code), $1)
            AND reported_at BETWEEN $2 AND $3 AND reported_at <> $3 AND overdue`, prefix, period.From, period.To),
		"hours": count(t, pool, `SELECT coalesce(sum(patrol_seconds), 0) / 3600 FROM patrol_days WHERE user_id IN
            (SELECT user_id FROM patrol_workers WHERE starts_with(unit_code, $1)) AND day BETWEEN $2::date AND $3::date - 1`,
			prefix, period.From.Format("2006-01-02"), period.To.Format("2006-01-02")),
		"days": count(t, pool, `SELECT count(*) FROM patrol_days WHERE user_id IN
            (SELECT user_id FROM patrol_workers WHERE starts_with(unit_code, $1)) AND day BETWEEN $2::date AND $3::date - 1`,
			prefix, period.From.Format("2006-01-02"), period.To.Format("2006-01-02")),
		"grids": count(t, pool, `SELECT count(*) FROM unit_versions WHERE level = 4 AND starts_with(code, $1)
            AND valid_from BETWEEN $2 AND $3 AND valid_from <> $3`, prefix, period.From, period.To),
	}
	got := map[string]float64{"cases": float64(tot.CasesReported), "closed": float64(tot.CasesClosed),
		"overdue": float64(tot.CasesOverdue), "hours": tot.PatrolHours, "days": float64(tot.PatrolWorkerDays),
		"grids": float64(tot.GridChanges)}
	for k, w := range want {
		if d := got[k] - w; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s: report %v, SQL %v", k, got[k], w)
		}
	}
	if tot.CasesReported == 0 || tot.PatrolWorkerDays == 0 || tot.GridChanges == 0 || tot.VisitsDue == 0 {
		t.Fatalf("the demo should give cases, patrol days and grids in the period: %+v", tot)
	}
	t.Logf("%s %s total: %+v", street, period.Label, tot)
	var sumCases int
	for _, w := range r.Rows[:len(r.Rows)-1] {
		sumCases += w.CasesReported
	}
	if sumCases != tot.CasesReported {
		t.Errorf("children's cases %d, total %d", sumCases, tot.CasesReported)
	}

	// A hand-made case, staff assignment, visit and hazard in the first community's grid move
	// that community and the total by one.
	var grid, community string
	if err := pool.QueryRow(ctx, `SELECT g.code, g.parent_code FROM units g JOIN units c ON c.code = g.parent_code
        WHERE c.parent_code = $1 AND g.level = 4 ORDER BY c.code, g.code LIMIT 1`, street).Scan(&grid, &community); err != nil {
		t.Fatal(err)
	}
	at := period.From.Add(time.Hour)
	for _, sql := range []string{
		`INSERT INTO incidents (region_code, grid_code, community_code, type, title, pt, reported_at)
         SELECT left($1, 6), $1, $2, 'routine', 'test 测试', ST_PointOnSurface(geom), $3 FROM units WHERE code = $1`,
		`WITH s AS (INSERT INTO staff (name, phone) VALUES ('测试', '13800000000') RETURNING id)
         INSERT INTO staff_assignments (staff_id, unit_code, region_code, role, from_date, requested_by)
         SELECT s.id, $1, left($1, 6), 'grid_worker', ($3::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, 'test' FROM s WHERE $2 <> ''`,
		`WITH p AS (INSERT INTO places (grid_code, kind, name, pt, region_code)
             SELECT $1, 'shop', 'test 测试', ST_PointOnSurface(geom), left($1, 6) FROM units WHERE code = $1 AND $2 <> '' RETURNING id, pt),
         i AS (INSERT INTO inspections (id, request_hash, place_id, template_code, template_version, inspector_name,
             inspected_at, pt, distance_m, far, passed, results, region_code)
             SELECT gen_random_uuid(), '\x00', p.id, t.code, t.version, 'test', $3, p.pt, 0, false, false, '{}', left($1, 6)
             FROM p, (SELECT code, version FROM inspection_templates ORDER BY code, version LIMIT 1) t RETURNING id, place_id)
         INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, found_at, deadline, region_code)
         SELECT i.id, i.place_id, $1, 'x', 'test', 'general', $3, $3::timestamptz + interval '7 days', left($1, 6) FROM i`,
	} {
		tag, err := pool.Exec(ctx, sql, grid, community, at)
		if err != nil || tag.RowsAffected() != 1 {
			t.Fatalf("%s: %v %v", sql, tag, err)
		}
	}
	// The visit is to a household due this month: visits move up, due down by one.
	last := period.To.AddDate(0, -1, 0)
	due, err := st.DueVisits(ctx, []string{grid}, time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC), time.Now())
	if err != nil || len(due) == 0 {
		t.Fatalf("due visits of %s: %d %v", grid, len(due), err)
	}
	if tag, err := pool.Exec(ctx, `INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far)
         SELECT gen_random_uuid(), left($1, 6), '\x00', $2, $1, $3, ST_PointOnSurface(geom), 0, false FROM units WHERE code = $1`,
		grid, due[0].HouseholdID, time.Now().Add(-time.Minute)); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("visit: %v %v", tag, err)
	}
	r2, err := workreport.Compute(ctx, st, street, period, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range r2.Rows {
		old, d := r.Rows[i], 0
		if w.Code == community || w.Total {
			d = 1
		}
		if w.CasesReported != old.CasesReported+d || w.Visits != old.Visits+d || w.VisitsDue != old.VisitsDue-d || w.HazardsOpened != old.HazardsOpened+d ||
			w.HazardsOpenAtEnd != old.HazardsOpenAtEnd+d || w.HazardsClosed != old.HazardsClosed ||
			w.StaffChanges != old.StaffChanges+d {
			t.Errorf("%s: before %+v after %+v", w.Code, old, w)
		}
	}
	// The district's report: a row per street, each the street's own
	// report's total, and the district's total the sum of them (the demo's
	// records all lie in a street).
	var district string
	if err := pool.QueryRow(ctx, `SELECT parent_code FROM units WHERE code = $1`, street).Scan(&district); err != nil {
		t.Fatal(err)
	}
	rd, err := workreport.Compute(ctx, st, district, period, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var streets int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM units WHERE parent_code = $1`, district).Scan(&streets); err != nil {
		t.Fatal(err)
	}
	if len(rd.Rows) != streets+1 || !rd.Rows[streets].Total || rd.Rows[streets].Code != district {
		t.Fatalf("district rows: %+v", rd.Rows)
	}
	var sum workreport.Row
	for _, w := range rd.Rows[:streets] {
		rs, err := workreport.Compute(ctx, st, w.Code, period, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		own := rs.Rows[len(rs.Rows)-1]
		own.Total = false
		if own != w {
			t.Errorf("district row %+v, the street's own total %+v", w, own)
		}
		sum.CasesReported += w.CasesReported
		sum.Visits += w.Visits
		sum.VisitsDue += w.VisitsDue
		sum.HazardsOpened += w.HazardsOpened
		sum.StaffChanges += w.StaffChanges
	}
	if dt := rd.Rows[streets]; dt.CasesReported != sum.CasesReported || dt.Visits != sum.Visits || dt.VisitsDue != sum.VisitsDue ||
		dt.HazardsOpened != sum.HazardsOpened || dt.StaffChanges != sum.StaffChanges || dt.CasesReported == 0 {
		t.Errorf("district total %+v, sum of the streets %+v", dt, sum)
	}
	// A grid is not a unit a work report is made for.
	if _, err := workreport.Compute(ctx, st, grid, period, time.Now()); err == nil {
		t.Error("a grid: want an error")
	}
}
