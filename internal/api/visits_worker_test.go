package api_test

import (
	"context"
	"encoding/json"
	"testing"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

// The due list per worker covers all their grids; the report gives the
// yearly coverage per grid and suppresses small sensitive counts.
func TestVisitsDuePerWorkerCoverageAndSmallCounts(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1, Password: demoPassword})
	ctx := context.Background()
	base := ownServer(t, pool)
	leader := loginAs(t, base, "leader")
	var own, second, leaderUnit string
	pool.QueryRow(ctx, `SELECT unit_code FROM users WHERE username = 'officer'`).Scan(&own)
	pool.QueryRow(ctx, `SELECT unit_code FROM users WHERE username = 'leader'`).Scan(&leaderUnit)
	if err := pool.QueryRow(ctx, `SELECT min(code) FROM units WHERE level = 4 AND code <> $1 AND left(code, 9) = left($1, 9)
		AND EXISTS (SELECT 1 FROM buildings b JOIN households h ON h.building_id = b.id WHERE b.grid_code = units.code)`, own).Scan(&second); err != nil {
		t.Fatalf("no second grid near %s: %v", own, err)
	}
	// The officer also serves the second grid (its staff card).
	if _, err := pool.Exec(ctx, `INSERT INTO grid_staff (unit_code, role, name, phone, user_id, sort) SELECT $1, 'grid_worker', '网格员', '13800000000', id, 9 FROM users WHERE username = 'officer'`, second); err != nil {
		t.Fatal(err)
	}
	households := func(grid string) (n int) {
		pool.QueryRow(ctx, `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, grid).Scan(&n)
		return
	}
	late := "2026-12-31T00:00:00Z"
	resp, b := do(t, "GET", base+"/api/visits/due?worker=officer&month=2026-03&as_of="+late, leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("worker due: %d %s", resp.StatusCode, b)
	}
	var r struct {
		Grids []string
		Due   []struct {
			Grid string `json:"grid_code"`
		}
	}
	json.Unmarshal(b, &r)
	per := map[string]int{}
	for _, d := range r.Due {
		per[d.Grid]++
	}
	if len(r.Grids) != 2 || per[own] != households(own) || per[second] != households(second) {
		t.Fatalf("worker due list: grids %v, per grid %v, want all of %s (%d) and %s (%d)", r.Grids, per, own, households(own), second, households(second))
	}
	resp, b = do(t, "GET", base+"/api/visits/due?worker=nobody&month=2026-03", leader, "")
	wantError(t, "unknown worker", resp, b, 404, "not_found")
	resp, b = do(t, "GET", base+"/api/visits/due?worker=officer&grid="+own, leader, "")
	wantError(t, "both", resp, b, 400, "invalid")
	// The officer's own scope is one grid: the second lies outside it.
	resp, b = do(t, "GET", base+"/api/visits/due?worker=officer&month=2026-03", loginAs(t, base, "officer"), "")
	wantError(t, "outside scope", resp, b, 403, "forbidden")

	// Coverage: two households of the own grid visited this year (one in
	// February, one the December before, which does not count).
	var ids []int64
	rows, _ := pool.Query(ctx, `SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 ORDER BY h.id LIMIT 3`, own)
	for rows.Next() {
		var x int64
		rows.Scan(&x)
		ids = append(ids, x)
	}
	rows.Close()
	for i, at := range []string{"2026-02-15 10:00+08", "2026-01-01 09:00+08", "2025-12-31 23:00+08"} {
		if _, err := pool.Exec(ctx, `INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far, recorded_at)
			SELECT gen_random_uuid(), h.region_code, '\x00', h.id, b.grid_code, $2, b.pt, 0, false, $2
			FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = $1`, ids[i], at); err != nil {
			t.Fatal(err)
		}
	}
	// Persons: 3 drug users (sensitive, below the minimum group), 5 key persons, 2 disabled.
	for cat, n := range map[string]int{"drug_user": 3, "key_person": 5, "disabled": 2} {
		if _, err := pool.Exec(ctx, `INSERT INTO persons (region_code, household_id, name, residence, categories)
			SELECT region_code, id, '测试', 'registered', ARRAY[$2] FROM households CROSS JOIN generate_series(1, $3) WHERE id = $1`, ids[0], cat, n); err != nil {
			t.Fatal(err)
		}
	}
	resp, b = do(t, "GET", base+"/api/reports/visits?parent="+leaderUnit+"&month=2026-03&as_of="+late, leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("report: %d %s", resp.StatusCode, b)
	}
	var rep struct {
		Grids []struct {
			Grid        string `json:"grid_code"`
			Households  int
			VisitedYear int     `json:"visited_this_year"`
			CoveragePct float64 `json:"coverage_pct"`
			Categories  map[string]int
		}
	}
	json.Unmarshal(b, &rep)
	found := false
	for _, g := range rep.Grids {
		if g.Grid != own {
			continue
		}
		found = true
		total := households(own)
		want := float64(int(1000*2/float64(total)+0.5)) / 10
		if g.Households != total || g.VisitedYear != 2 || g.CoveragePct != want {
			t.Errorf("coverage of %s: %+v, want 2 of %d (%.1f%%)", own, g, total, want)
		}
		if g.Categories["drug_user"] != -1 || g.Categories["key_person"] != 5 || g.Categories["disabled"] != 2 {
			t.Errorf("category counts: %v (drug_user 3 must be suppressed as -1)", g.Categories)
		}
	}
	if !found {
		t.Fatalf("own grid %s not in the report under %s: %s", own, leaderUnit, b)
	}
}
