package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"wangge/internal/store"
)

// TestUnitStatsCountOpenIncidents: reports, transitions (open → open, open
// → closed or invalid), overdue marks, cases leaving their grid and
// deletes keep incidents_open and incidents_overdue equal to a full
// recount at every level.
func TestUnitStatsCountOpenIncidents(t *testing.T) {
	w := newIncidentWorld(t)
	check := func(step string) {
		t.Helper()
		if d := statsDiff(t, w.pool); len(d) > 0 {
			t.Fatalf("after %s the kept counts differ from a recount:\n%s", step, strings.Join(d, "\n"))
		}
	}
	check("the demo load")
	open := func() int64 {
		resp, b := do(t, "GET", w.base+"/api/reports/unit-stats?unit="+w.grid, w.admin, "")
		var r struct{ Unit store.UnitStat }
		if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil {
			t.Fatalf("unit-stats: %d %s", resp.StatusCode, b)
		}
		return r.Unit.Counts["incidents_open"]
	}
	base := open()

	a := w.report(t, w.officer, "cityorder.facility") // coordination
	b := w.report(t, w.officer, "sanitation.litter")  // routine
	c := w.report(t, w.officer, "building.extension") // coordination
	check("three reports")
	if got := open(); got != base+3 {
		t.Errorf("open in %s: %d, want %d", w.grid, got, base+3)
	}
	for _, m := range []struct {
		tok, id, to string
	}{
		{w.centre, a.ID, "accepted"}, {w.centre, a.ID, "dispatched"}, // still open
		{w.officer, b.ID, "handled"}, {w.centre, b.ID, "verified"}, {w.centre, b.ID, "closed"}, // closed
		{w.centre, c.ID, "invalid"}, // invalid
	} {
		if resp, body := w.move(t, m.tok, m.id, map[string]any{"to": m.to, "note": "测试 test", "unit": "城管局"}); resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", m.id, m.to, resp.StatusCode, body)
		}
		check(m.to + " of " + m.id)
	}
	if got := open(); got != base+1 {
		t.Errorf("open in %s after closing two: %d, want %d", w.grid, got, base+1)
	}

	mustExec(t, w.pool, `UPDATE incidents SET overdue = true WHERE id % 2 = 0`)
	check("overdue marks")
	mustExec(t, w.pool, `UPDATE incidents SET status = 'closed' WHERE id % 5 = 0 AND status <> 'closed'`)
	check("a bulk close")
	// Cases leaving every grid are routed to the nearest community (outside).
	if n := mustExec(t, w.pool, `UPDATE incidents SET grid_code = NULL WHERE id % 3 = 0 AND grid_code IS NOT NULL`); n == 0 {
		t.Fatal("no case left its grid")
	}
	check("cases leaving their grid")
	if n := mustExec(t, w.pool, `DELETE FROM incidents WHERE id % 7 = 0`); n == 0 {
		t.Fatal("deleted nothing")
	}
	check("deletes")
	if _, err := store.CompactUnitStats(t.Context(), w.pool); err != nil {
		t.Fatal(err)
	}
	check("compaction")
	var want int64
	if err := w.pool.QueryRow(t.Context(), `SELECT count(*) FROM incidents WHERE grid_code = $1 AND status NOT IN ('closed', 'invalid')`, w.grid).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if got := open(); got != want {
		t.Errorf("open in %s: kept %d, counted %d", w.grid, got, want)
	}
}
