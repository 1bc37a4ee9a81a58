package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// TestUnitStatsCountHazardsAndVisits: hazards found, closed, overdue, moved
// and deleted, and visits logged, re-dated across a month and deleted, keep
// hazards_open/overdue/major and visits_YYYY-MM equal to a full recount at
// every level; unit-stats answers them.
func TestUnitStatsCountHazardsAndVisits(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1, Password: demoPassword})
	base := ownServer(t, pool)
	ctx := context.Background()
	check := statsChecker(t, pool)
	var grid, other string
	if err := pool.QueryRow(ctx, `SELECT min(code), max(code) FROM units WHERE level = 4`).Scan(&grid, &other); err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `WITH p AS (INSERT INTO places (grid_code, kind, name, pt, region_code)
	        SELECT code, 'shop', '测试 test', ST_PointOnSurface(geom), left(code, 6) FROM units WHERE code = $1 RETURNING id, pt)
	    INSERT INTO inspections (id, request_hash, place_id, template_code, template_version, inspector_name,
	        inspected_at, pt, distance_m, far, passed, results, region_code)
	    SELECT '00000000-0000-4000-8000-00000000a001', '\x00', p.id, t.code, t.version, 'test', now(), p.pt, 0, false, false, '{}', left($1, 6)
	    FROM p, (SELECT code, version FROM inspection_templates ORDER BY code, version LIMIT 1) t`, grid)
	n := mustExec(t, pool, `INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, found_at, deadline, region_code)
	    SELECT i.id, i.place_id, $1, 'item' || g, 'test', CASE WHEN g % 3 = 0 THEN 'major' ELSE 'general' END, now(), now() + interval '7 days', left($1, 6)
	    FROM inspections i, generate_series(1, 12) g WHERE i.id = '00000000-0000-4000-8000-00000000a001'`, grid)
	if n != 12 {
		t.Fatalf("%d hazards inserted", n)
	}
	check("12 hazards found")
	mustExec(t, pool, `UPDATE hazards SET state = 'overdue', escalated_at = now() WHERE item IN ('item1', 'item2', 'item3')`)
	check("three overdue")
	mustExec(t, pool, `UPDATE hazards SET state = 'closed', closed_by_inspection = inspection_id, closed_at = now() WHERE item IN ('item3', 'item4')`)
	check("two closed")
	mustExec(t, pool, `UPDATE hazards SET grid_code = $1 WHERE item = 'item5'`, other)
	check("one moved to another grid")
	mustExec(t, pool, `DELETE FROM hazards WHERE item = 'item6'`)
	check("one deleted")

	n = mustExec(t, pool, `INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far)
	    SELECT gen_random_uuid(), left(b.grid_code, 6), '\x00', h.id, b.grid_code,
	        timestamptz '2026-11-30 23:30:00+08' + (h.id % 2) * interval '1 hour', b.pt, 0, false
	    FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 ORDER BY h.id LIMIT 40`, grid)
	if n == 0 {
		t.Fatal("no visits inserted")
	}
	check("visits on both sides of a China-time month end")
	mustExec(t, pool, `UPDATE visits SET visited_at = visited_at + interval '1 hour' WHERE grid_code = $1`, grid)
	check("visits re-dated")
	mustExec(t, pool, `DELETE FROM visits WHERE ctid IN (SELECT ctid FROM visits LIMIT 5)`)
	check("visits deleted")
	if _, err := store.CompactUnitStats(ctx, pool); err != nil {
		t.Fatal(err)
	}
	check("compaction")

	var r struct{ Unit store.UnitStat }
	resp, b := do(t, "GET", base+"/api/reports/unit-stats?unit="+grid, loginAs(t, base, "admin"), "")
	if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil {
		t.Fatalf("unit-stats: %d %s", resp.StatusCode, b)
	}
	// Open: 12 − 2 closed − 1 moved − 1 deleted = 8; overdue: item1, item2;
	// major open: item9, item12 (item3 closed, item6 deleted).
	var dec, nov int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE visited_at >= timestamptz '2026-12-01 00:00+08'),
	        count(*) FILTER (WHERE visited_at < timestamptz '2026-12-01 00:00+08') FROM visits WHERE grid_code = $1`, grid).Scan(&dec, &nov); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int64{"hazards_open": 8, "hazards_overdue": 2, "hazards_major": 2, "visits_2026-12": dec, "visits_2026-11": nov} {
		if got := r.Unit.Counts[key]; got != want {
			t.Errorf("%s of %s: %d, want %d", key, grid, got, want)
		}
	}
	if dec == 0 {
		t.Error("no visit after the month end: the re-dating did not cross it")
	}
}
