package api_test

import (
	"context"
	"encoding/json"
	"testing"
)

// TestReportGridCountsPaged: pages of 7 grids, cursor by cursor, give every
// grid of the district once, in code order, with the same counts as the
// database; bad limits and cursors are 400.
func TestReportGridCountsPaged(t *testing.T) {
	t.Parallel()
	base := demoServer(t)
	leader := tokenFor(t, base, "leader")
	var district string
	var grids, households int
	if err := demoPool.QueryRow(context.Background(), `SELECT min(code) FILTER (WHERE level = 1), count(*) FILTER (WHERE level = 4),
		(SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code IS NOT NULL)
		FROM units`).Scan(&district, &grids, &households); err != nil {
		t.Fatal(err)
	}
	seen, sum, pages, after := 0, 0, 0, ""
	last := ""
	for {
		q := "?limit=7&parent=" + district
		if after != "" {
			q += "&after=" + after
		}
		resp, body := do(t, "GET", base+"/api/reports/grid-counts"+q, leader, "")
		var r gridCountsResp
		if resp.StatusCode != 200 || json.Unmarshal(body, &r) != nil {
			t.Fatalf("page after %q: %d %s", after, resp.StatusCode, body)
		}
		pages++
		if len(r.Grids) > 7 || (r.Next != "" && len(r.Grids) != 7) {
			t.Fatalf("page after %q: %d grids, next %q", after, len(r.Grids), r.Next)
		}
		for _, g := range r.Grids {
			if g.GridCode <= last {
				t.Fatalf("grid %s after %s: not in code order", g.GridCode, last)
			}
			last = g.GridCode
			seen++
			sum += g.Households
		}
		if r.Next == "" {
			break
		}
		if r.Next != last {
			t.Fatalf("next %q, last grid %s", r.Next, last)
		}
		after = r.Next
	}
	if seen != grids || sum != households || pages != (grids+6)/7 {
		t.Fatalf("%d pages: %d grids, %d households; database %d grids, %d households", pages, seen, sum, grids, households)
	}
	for _, q := range []string{"limit=0", "limit=2001", "limit=x", "after=12", "after=33019900100100x"} {
		resp, body := do(t, "GET", base+"/api/reports/grid-counts?parent="+district+"&"+q, leader, "")
		wantError(t, q, resp, body, 400, "invalid")
	}
}
