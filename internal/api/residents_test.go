package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

// validID builds an 18-character ID with its GB 11643 check digit.
func checkedID(s17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(s17[i]-'0') * w[i]
	}
	return s17 + string("10X98765432"[sum%11])
}

func TestPersonsChecksMovesAndSensitiveCategories(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var h1, h2, hOther int64
	if err := pool.QueryRow(ctx, `SELECT min(h.id), max(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own).Scan(&h1, &h2); err != nil || h1 == h2 {
		t.Fatalf("need two households in %s: %v", own, err)
	}
	if err := pool.QueryRow(ctx, `SELECT min(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code <> $1`, own).Scan(&hOther); err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM persons) + (SELECT count(*) FROM person_moves)`).Scan(&n)
		return
	}
	id := checkedID("33010619850315002")
	body := func(hh int64, idn string, cats string) string {
		return fmt.Sprintf(`{"household_id":%d,"name":"李小明","id_number":%q,"phone":"13812345678","relation":"child","residence":"registered","categories":%s,"move_in":"2026-01-10"}`, hh, idn, cats)
	}
	for name, tc := range map[string]struct {
		body   string
		status int
		code   string
	}{
		"check digit":   {body(h1, id[:17]+map[bool]string{true: "1", false: "2"}[id[17] != '1'], `[]`), 400, "invalid"},
		"birth date":    {body(h1, checkedID("33010619851345002"), `[]`), 400, "invalid"},
		"category":      {body(h1, id, `["不存在"]`), 400, "invalid"},
		"other grid":    {body(hOther, id, `[]`), 403, "forbidden"},
		"unknown field": {`{"household_id":1,"name":"x","residence":"registered","age":3}`, 400, "invalid"},
		"bad residence": {strings.Replace(body(h1, id, `[]`), "registered", "tourist", 1), 400, "invalid"},
	} {
		resp, b := do(t, "POST", base+"/api/persons", officer, tc.body)
		wantError(t, name, resp, b, tc.status, tc.code)
	}
	if n := count(); n != 0 {
		t.Fatalf("refused requests stored %d rows", n)
	}

	resp, b := do(t, "POST", base+"/api/persons", officer, body(h1, id, `["disabled","drug_user"]`))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var p struct {
		ID         int64
		Name       string
		IDNumber   string `json:"id_number"`
		Categories []string
	}
	json.Unmarshal(b, &p)
	if p.ID == 0 || p.Name != "李**" || p.IDNumber == id || strings.Contains(string(b), "drug_user") || len(p.Categories) != 1 {
		t.Fatalf("create answer not masked: %s", b)
	}
	// The same person in a second household is refused (a move is the way).
	resp, b = do(t, "POST", base+"/api/persons", officer, body(h2, id, `[]`))
	wantError(t, "second household", resp, b, 409, "conflict")

	// Masked list: no clear fields, the sensitive category hidden, no audit.
	var audits0 int
	pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'person'`).Scan(&audits0)
	_, b = do(t, "GET", fmt.Sprintf("%s/api/households/%d/persons", base, h1), officer, "")
	if strings.Contains(string(b), id) || strings.Contains(string(b), "13812345678") || strings.Contains(string(b), "drug_user") || !strings.Contains(string(b), "disabled") {
		t.Fatalf("masked list reveals: %s", b)
	}
	// Leaders (not granted) may not see them; an unmask without reason is refused.
	resp, b = do(t, "GET", fmt.Sprintf("%s/api/households/%d/persons?unmask=1&reason=x", base, h1), loginAs(t, base, "leader"), "")
	wantError(t, "leader unmask", resp, b, 403, "forbidden")
	resp, b = do(t, "GET", fmt.Sprintf("%s/api/households/%d/persons?unmask=1", base, h1), officer, "")
	wantError(t, "no reason", resp, b, 400, "invalid")
	resp, b = do(t, "GET", fmt.Sprintf("%s/api/households/%d/persons?unmask=1&reason=%s", base, h1, "visit"), officer, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), id) || !strings.Contains(string(b), "drug_user") {
		t.Fatalf("cleared read: %d %s", resp.StatusCode, b)
	}
	var audits1 int
	pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'person' AND action = 'disclose' AND details->'person_ids' @> to_jsonb($1::bigint)`, p.ID).Scan(&audits1)
	if audits1 != audits0+1 {
		t.Fatalf("the disclosure was not audited (%d → %d)", audits0, audits1)
	}

	// Moves: in while in a household refused; out then in elsewhere; history kept.
	moves := fmt.Sprintf("%s/api/persons/%d/moves", base, p.ID)
	resp, b = do(t, "POST", moves, officer, fmt.Sprintf(`{"kind":"in","household_id":%d,"on_date":"2026-03-01"}`, h2))
	wantError(t, "in twice", resp, b, 409, "conflict")
	resp, b = do(t, "POST", moves, officer, `{"kind":"out","on_date":"2025-12-01"}`)
	wantError(t, "back in time", resp, b, 400, "invalid")
	if resp, b = do(t, "POST", moves, officer, `{"kind":"out","on_date":"2026-03-01"}`); resp.StatusCode != 201 {
		t.Fatalf("out: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", moves, officer, fmt.Sprintf(`{"kind":"in","household_id":%d,"on_date":"2026-03-02","note":"换房"}`, h2))
	if resp.StatusCode != 201 {
		t.Fatalf("in: %d %s", resp.StatusCode, b)
	}
	var mr struct {
		Moves []struct {
			Kind        string
			OnDate      string `json:"on_date"`
			HouseholdID int64  `json:"household_id"`
		}
	}
	json.Unmarshal(b, &mr)
	if len(mr.Moves) != 3 || mr.Moves[0].Kind != "in" || mr.Moves[0].HouseholdID != h1 || mr.Moves[1].Kind != "out" ||
		mr.Moves[2].HouseholdID != h2 || mr.Moves[2].OnDate != "2026-03-02" {
		t.Fatalf("history: %s", b)
	}
	if _, err := pool.Exec(ctx, `UPDATE person_moves SET on_date = '2020-01-01' WHERE person_id = $1`, p.ID); err == nil {
		t.Fatal("a move event was overwritten")
	}
	_, b = do(t, "GET", fmt.Sprintf("%s/api/households/%d/persons", base, h1), officer, "")
	if strings.Contains(string(b), "李") {
		t.Fatalf("moved-out person still listed in the old household: %s", b)
	}
}

func TestVisitsIdempotentAndDueList(t *testing.T) {
	t.Parallel()
	pool, base, officer, own := officerWorld(t)
	ctx := context.Background()
	var hh, hOther int64
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT h.id, ST_X(b.pt), ST_Y(b.pt) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 ORDER BY h.id LIMIT 1`, own).Scan(&hh, &lon, &lat); err != nil {
		t.Fatal(err)
	}
	pool.QueryRow(ctx, `SELECT min(h.id) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code <> $1`, own).Scan(&hOther)

	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	visit := func(id string, h int64, lon float64, note string) string {
		return fmt.Sprintf(`{"id":%q,"household_id":%d,"visited_at":%q,"lon":%v,"lat":%v,"answers":{"troubles":"无","satisfaction":"满意","suggestions":"","needs_help":"否"},"note":%q}`, id, h, at, lon, lat, note)
	}
	const vid = "0f8fad5b-d9cb-469f-a165-70867728950e"
	resp, b := do(t, "POST", base+"/api/visits", officer, visit(vid, hh, lon, "first"))
	if resp.StatusCode != 201 {
		t.Fatalf("visit: %d %s", resp.StatusCode, b)
	}
	for range 2 { // the phone retries twice
		if resp, b = do(t, "POST", base+"/api/visits", officer, visit(vid, hh, lon, "first")); resp.StatusCode != 200 {
			t.Fatalf("retry: %d %s", resp.StatusCode, b)
		}
	}
	resp, b = do(t, "POST", base+"/api/visits", officer, visit(vid, hh, lon, "changed"))
	wantError(t, "other body", resp, b, 409, "conflict")
	var n int
	pool.QueryRow(ctx, `SELECT count(*) FROM visits`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d visits stored, want 1", n)
	}
	resp, b = do(t, "POST", base+"/api/visits", officer, visit("1f8fad5b-d9cb-469f-a165-70867728950e", hOther, lon, ""))
	wantError(t, "outside own grids", resp, b, 403, "forbidden")
	resp, b = do(t, "POST", base+"/api/visits", officer, strings.Replace(visit("2f8fad5b-d9cb-469f-a165-70867728950e", hh, lon, ""), `"troubles"`, `"weather"`, 1))
	wantError(t, "unknown question", resp, b, 400, "invalid")
	// 0.03° of longitude is ~2.7 km at these latitudes: flagged as far.
	resp, b = do(t, "POST", base+"/api/visits", officer, visit("3f8fad5b-d9cb-469f-a165-70867728950e", hh, lon+0.03, ""))
	var far struct {
		Far       bool
		DistanceM float64 `json:"distance_m"`
	}
	json.Unmarshal(b, &far)
	if resp.StatusCode != 201 || !far.Far || far.DistanceM < 2000 {
		t.Fatalf("far visit: %d %s", resp.StatusCode, b)
	}
	var near struct{ Far bool }
	_, b = do(t, "POST", base+"/api/visits", officer, visit(vid, hh, lon, "first"))
	json.Unmarshal(b, &near)
	if near.Far {
		t.Fatalf("visit at the building flagged far: %s", b)
	}

	// The due list on a fake clock: fixed months, visits placed by hand, as_of fixed.
	if _, err := pool.Exec(ctx, `DELETE FROM visits`); err != nil {
		t.Fatal(err)
	}
	var hMonthly, hQuarterly, hHalf, hYearly int64
	rows, _ := pool.Query(ctx, `SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1 ORDER BY h.id LIMIT 4`, own)
	var ids []int64
	for rows.Next() {
		var x int64
		rows.Scan(&x)
		ids = append(ids, x)
	}
	rows.Close()
	if len(ids) < 4 {
		t.Fatalf("need 4 households in %s", own)
	}
	hMonthly, hQuarterly, hHalf, hYearly = ids[0], ids[1], ids[2], ids[3]
	for h, cat := range map[int64]string{hMonthly: "living_alone", hQuarterly: "dibao", hHalf: "veteran"} {
		if _, err := pool.Exec(ctx, `INSERT INTO persons (region_code, household_id, name, residence, categories) SELECT region_code, id, '测试', 'registered', ARRAY[$2] FROM households WHERE id = $1`, h, cat); err != nil {
			t.Fatal(err)
		}
	}
	// Each household visited on 2026-02-15 (Beijing time), recorded then.
	for _, h := range ids[:4] {
		if _, err := pool.Exec(ctx, `INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far, recorded_at)
			SELECT gen_random_uuid(), h.region_code, '\x00', h.id, b.grid_code, '2026-02-15 10:00+08', b.pt, 0, false, '2026-02-15 10:00+08'
			FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = $1`, h); err != nil {
			t.Fatal(err)
		}
	}
	due := func(month, asOf string) map[int64]string {
		resp, b := do(t, "GET", base+"/api/visits/due?grid="+own+"&month="+month+"&as_of="+asOf, officer, "")
		if resp.StatusCode != 200 {
			t.Fatalf("due %s: %d %s", month, resp.StatusCode, b)
		}
		var r struct {
			Due []struct {
				HouseholdID int64  `json:"household_id"`
				Category    string `json:"rule_category"`
			}
		}
		json.Unmarshal(b, &r)
		out := map[int64]string{}
		for _, d := range r.Due {
			out[d.HouseholdID] = d.Category
		}
		return out
	}
	late := "2026-12-31T00:00:00Z"
	for _, c := range []struct {
		month, asOf string
		h           int64
		wantDue     bool
		rule        string
	}{
		{"2026-02", late, hMonthly, false, ""},
		{"2026-03", late, hMonthly, true, "living_alone"}, // monthly: a new month, due again
		{"2026-03", late, hQuarterly, false, ""},          // Q1 visited in February
		{"2026-04", late, hQuarterly, true, "dibao"},
		{"2026-06", late, hHalf, false, ""},
		{"2026-07", late, hHalf, true, "veteran"},
		{"2026-12", late, hYearly, false, ""},
		{"2026-02", "2026-02-14T00:00:00Z", hYearly, true, "*"}, // as of before the visit was recorded
		{"2026-01", late, hYearly, true, "*"},                   // the visit lies after January's end
	} {
		got, ok := due(c.month, c.asOf)[c.h]
		if ok != c.wantDue || got != c.rule {
			t.Errorf("month %s as of %s household %d: due %v rule %q, want %v %q", c.month, c.asOf, c.h, ok, got, c.wantDue, c.rule)
		}
	}
	// The same question twice gives the same answer.
	if a, b := due("2026-03", late), due("2026-03", late); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("due list not stable")
	}
	// Report: the leader sees per grid counts; March: the monthly household is overdue? no — it was visited in February.
	resp, b = do(t, "GET", base+"/api/reports/visits?parent="+own[:12]+"&month=2026-03&as_of="+late, loginAs(t, base, "leader"), "")
	if resp.StatusCode != 200 {
		t.Fatalf("report: %d %s", resp.StatusCode, b)
	}
	var rep struct {
		Grids []struct {
			Grid               string `json:"grid_code"`
			Due, Done, Overdue int
		}
	}
	json.Unmarshal(b, &rep)
	var total int
	pool.QueryRow(ctx, `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code = $1`, own).Scan(&total)
	found := false
	for _, g := range rep.Grids {
		if g.Grid == own {
			found = true
			// Done in March's periods: quarterly, half-year, yearly; due: the monthly one and every unvisited household.
			if g.Done != 3 || g.Due != total-3 {
				t.Errorf("report for %s: %+v (households %d)", own, g, total)
			}
		}
	}
	if !found {
		t.Errorf("own grid missing from the report: %s", b)
	}
}

// officerWorld is a private 10-grid demo on a server of its own (these tests
// change its people and visits), with the officer's token and grid.
func officerWorld(t *testing.T) (pool *pgxpool.Pool, base, officer, own string) {
	t.Helper()
	pool, _ = dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1, Password: demoPassword})
	base = ownServer(t, pool)
	officer = loginAs(t, base, "officer")
	if err := pool.QueryRow(context.Background(), `SELECT unit_code FROM users WHERE username = 'officer'`).Scan(&own); err != nil {
		t.Fatal(err)
	}
	return pool, base, officer, own
}
