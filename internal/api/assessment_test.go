package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wangge/internal/assessment"
	"wangge/internal/auth"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

type assessDeduction struct {
	Points float64
	Money  float64
	Reason string
	Ref    string
}

type assessMonth struct {
	Unit         string `json:"unit_code"`
	Month        string
	RulesUnit    string `json:"rules_unit"`
	RulesVersion int    `json:"rules_version"`
	State        string
	Items        []struct{ Code, Name string }
	Workers      []struct {
		WorkerID     int64 `json:"worker_id"`
		Worker       string
		Grid         string `json:"grid_code"`
		Score, Money float64
		Rank         int
		Bottom       bool
		BottomMonths int `json:"bottom_months"`
		Replace      bool
		Items        []struct {
			Item       string
			Points     float64
			Deductions []assessDeduction
		}
	}
}

func getMonth(t *testing.T, base, tok, unit, month string) assessMonth {
	t.Helper()
	resp, b := do(t, "GET", base+"/api/assessment?unit="+unit+"&month="+month, tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("assessment %s %s: %d %s", unit, month, resp.StatusCode, b)
	}
	var m assessMonth
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAssessmentMonthFromRecords(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 24, PatrolDays: -1, Password: demoPassword})
	ctx := context.Background()
	base := ownServer(t, pool)
	leader, admin, officer := loginAs(t, base, "leader"), loginAs(t, base, "admin"), loginAs(t, base, "officer")
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var street string
	pool.QueryRow(ctx, `SELECT min(code) FROM units WHERE level = 2`).Scan(&street)
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
	last := thisMonth.AddDate(0, -1, 0)
	lastS, thisS := last.Format("2006-01"), thisMonth.Format("2006-01")

	// Constructed records in last month on the first worker of the street.
	var worker int64
	var grid string
	pool.QueryRow(ctx, `SELECT user_id, unit_code FROM grid_staff WHERE role = 'grid_worker' AND user_id IS NOT NULL
        AND unit_code LIKE left($1, 9) || '%' ORDER BY unit_code LIMIT 1`, street).Scan(&worker, &grid)
	var seq int64
	if err := pool.QueryRow(ctx, `INSERT INTO incidents (region_code, grid_code, type, category, title, status, valid, pt, reported_by, reported_at, source)
        SELECT left($1, 6), $1, 'routine', 'sanitation.litter', '测试无效', 'invalid', false, ST_PointOnSurface(geom), $2, $3, 'demo' FROM units WHERE code = $1
        RETURNING id`, grid, worker, last.AddDate(0, 0, 11).Add(10*time.Hour)).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	pool.Exec(ctx, `INSERT INTO incident_events (incident_id, action, from_status, to_status, actor_name, note, at) VALUES ($1, 'invalid', 'reported', 'invalid', 'centre01', '重复上报', now())`, seq)
	// 10 working days at 5 h: the patrol figure read from patrol_days.
	pool.Exec(ctx, `INSERT INTO patrol_days (user_id, day, region_code, closed, distance_m, patrol_seconds, moving_seconds, stopped_seconds,
        in_grid_seconds, coverage_radius_m, fixes, dropped, trips, stops)
        SELECT $1, d, left($2, 6), true, 1000, 5 * 3600, 0, 0, 0, 50, 10, 0, '[]', '[]'
        FROM generate_series($3::date, $3::date + 9, '1 day') d`, worker, grid, last.Format(time.DateOnly))
	// The bottom streak: three province dispatch misses a month, three months running.
	for k := 0; k < 3; k++ {
		for i := 0; i < 3; i++ {
			pool.Exec(ctx, `INSERT INTO dispatch_checks (region_code, user_id, level, checked_at) VALUES (left($1, 6), $2, 'province', $3)`,
				grid, worker, last.AddDate(0, -k, 3+i).Add(9*time.Hour))
		}
	}

	m := getMonth(t, base, leader, street, lastS)
	if m.Month != lastS || m.RulesVersion != 1 || m.RulesUnit != "" || m.State != "open" || len(m.Workers) == 0 || len(m.Items) != 6 {
		t.Fatalf("month: %+v", m)
	}
	phoneDed, dispatchDed := 0, 0
	found := false
	for i, w := range m.Workers {
		var sum float64
		for _, it := range w.Items {
			sum += it.Points
			for _, d := range it.Deductions {
				if d.Points >= 0 || d.Ref == "" || d.Reason == "" {
					t.Errorf("%s %s: deduction %+v", w.Worker, it.Item, d)
				}
				switch it.Item {
				case "phone":
					phoneDed++
				case "dispatch":
					dispatchDed++
				}
				if d.Ref == fmt.Sprintf("incident:%d", seq) {
					found = strings.Contains(d.Reason, "judged invalid by centre01") && d.Points == -3
				}
			}
		}
		if math.Abs(sum-w.Score) > 1e-9 {
			t.Errorf("%s: items add up to %v, score %v", w.Worker, sum, w.Score)
		}
		if i > 0 && w.Score > m.Workers[i-1].Score {
			t.Errorf("ranking out of order at %d", i)
		}
		if w.WorkerID == worker {
			if !w.Bottom || w.BottomMonths != 3 || !w.Replace {
				t.Errorf("worker with three months at the bottom: bottom %v months %d replace %v", w.Bottom, w.BottomMonths, w.Replace)
			}
			for _, it := range w.Items {
				if it.Item == "patrol" && (len(it.Deductions) != 1 || !strings.Contains(it.Deductions[0].Reason, "patrol")) {
					t.Errorf("patrol item: %+v", it)
				}
			}
		}
	}
	if !found {
		t.Errorf("no traceable deduction for invalid incident %d", seq)
	}
	from, to := last, thisMonth
	wantPhone := count(`SELECT count(*) FROM phone_spot_checks c WHERE NOT answered AND called_at >= $1 AND called_at < $2
        AND user_id IN (SELECT user_id FROM grid_staff WHERE role = 'grid_worker' AND unit_code LIKE left($3, 9) || '%')`, from, to, street)
	wantDispatch := count(`SELECT count(*) FROM dispatch_checks WHERE checked_at >= $1 AND checked_at < $2
        AND user_id IN (SELECT user_id FROM grid_staff WHERE role = 'grid_worker' AND unit_code LIKE left($3, 9) || '%')`, from, to, street)
	if phoneDed != wantPhone || dispatchDed != wantDispatch || wantPhone == 0 {
		t.Errorf("phone deductions %d (records %d), dispatch %d (records %d)", phoneDed, wantPhone, dispatchDed, wantDispatch)
	}
	// Recomputable: the same records and rules give the same answer.
	_, b1 := do(t, "GET", base+"/api/assessment?unit="+street+"&month="+lastS, leader, "")
	_, b2 := do(t, "GET", base+"/api/assessment?unit="+street+"&month="+lastS, leader, "")
	if !bytes.Equal(b1, b2) {
		t.Error("two reads of the same month differ")
	}

	// Bad input: a clear 4xx.
	future := thisMonth.AddDate(0, 1, 0).Format("2006-01")
	for what, url := range map[string]string{
		"future month": "/api/assessment?unit=" + street + "&month=" + future,
		"bad month":    "/api/assessment?unit=" + street + "&month=2026-13",
		"grid as unit": "/api/assessment?unit=" + grid + "&month=" + lastS,
		"bad format":   "/api/assessment/export?unit=" + street + "&month=" + lastS + "&format=pdf",
	} {
		resp, b := do(t, "GET", base+url, leader, "")
		wantError(t, what, resp, b, 400, "invalid")
	}
	resp, b := do(t, "GET", base+"/api/assessment?unit="+street+"&month="+lastS, officer, "")
	wantError(t, "officer", resp, b, 403, "forbidden")

	// A rule set that does not add up: 400, no version stored.
	versions := count(`SELECT count(*) FROM assessment_rules`)
	bad := `{"name":"x","total":100,"items":[{"code":"phone","name":"电话","kind":"phone","points":90,"each":{"points":5}}],"ranking":{"bottom_count":1,"bottom_months":3},"grades":[{"name":"合格","min":60},{"name":"不合格"}]}`
	resp, b = do(t, "PUT", base+"/api/assessment/rules?unit="+street, leader, bad)
	wantError(t, "items do not add up", resp, b, 400, "invalid")
	if !strings.Contains(string(b), "add up to 90") || count(`SELECT count(*) FROM assessment_rules`) != versions {
		t.Errorf("bad rules: %s", b)
	}

	// Close last month; a second close conflicts; the current month cannot be closed.
	closeBody := fmt.Sprintf(`{"unit_code":%q,"month":%q}`, street, lastS)
	if resp, b = do(t, "POST", base+"/api/assessment/close", leader, closeBody); resp.StatusCode != 200 {
		t.Fatalf("close: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", base+"/api/assessment/close", leader, closeBody)
	wantError(t, "close twice", resp, b, 409, "conflict")
	resp, b = do(t, "POST", base+"/api/assessment/close", leader, fmt.Sprintf(`{"unit_code":%q,"month":%q}`, street, thisS))
	wantError(t, "close the running month", resp, b, 400, "invalid")
	frozen := getMonth(t, base, leader, street, lastS)
	if frozen.State != "closed" {
		t.Fatalf("closed month state %q", frozen.State)
	}

	// A record in the closed month without a reason: 409, nothing stored.
	at := last.AddDate(0, 0, 20).Add(10 * time.Hour).UTC().Format(time.RFC3339)
	phones := count(`SELECT count(*) FROM phone_spot_checks`)
	check := func(reason string) string {
		return fmt.Sprintf(`{"user_id":%d,"at":%q,"answered":false,"note":"未接","reason":%q}`, worker, at, reason)
	}
	resp, b = do(t, "POST", base+"/api/assessment/phone-checks", leader, check(""))
	wantError(t, "closed month without a reason", resp, b, 409, "conflict")
	if count(`SELECT count(*) FROM phone_spot_checks`) != phones {
		t.Error("a refused check was stored")
	}
	if resp, b = do(t, "POST", base+"/api/assessment/phone-checks", leader, check("补录漏登")); resp.StatusCode != 201 {
		t.Fatalf("check with a reason: %d %s", resp.StatusCode, b)
	}
	if count(`SELECT count(*) FROM audit_log WHERE action = 'assessment.phone_check' AND reason = '补录漏登'`) != 1 {
		t.Error("late check not audited with its reason")
	}
	// The frozen result stays as it was.
	if _, b2 = do(t, "GET", base+"/api/assessment?unit="+street+"&month="+lastS, leader, ""); mustJSON(frozen) != mustJSON(unmarshalMonth(t, b2)) {
		t.Error("a closed month followed the records")
	}

	// A new rule version: past months keep theirs, the current month takes it.
	rules := phoneRules(t)
	if resp, b = do(t, "PUT", base+"/api/assessment/rules?unit="+street, leader, rules); resp.StatusCode != 201 || !strings.Contains(string(b), `"version":1`) {
		t.Fatalf("new rules: %d %s", resp.StatusCode, b)
	}
	if got := getMonth(t, base, leader, street, lastS); got.RulesVersion != 1 || got.RulesUnit != "" || mustJSON(got) != mustJSON(frozen) {
		t.Errorf("closed month changed with the rules: v%d %q", got.RulesVersion, got.RulesUnit)
	}
	if cur := getMonth(t, base, leader, street, thisS); cur.RulesUnit != street || cur.RulesVersion != 1 {
		t.Errorf("current month rules %q v%d, want the street's new version", cur.RulesUnit, cur.RulesVersion)
	}
	prevOpen := getMonth(t, base, leader, street, last.AddDate(0, -1, 0).Format("2006-01"))
	if prevOpen.RulesUnit != "" {
		t.Errorf("an open past month took rules written after it: %q", prevOpen.RulesUnit)
	}

	// Reopen: not by the account that closed it, not without a reason.
	resp, b = do(t, "POST", base+"/api/assessment/reopen", leader, fmt.Sprintf(`{"unit_code":%q,"month":%q,"reason":"更正"}`, street, lastS))
	wantError(t, "reopen by the closer", resp, b, 403, "forbidden")
	resp, b = do(t, "POST", base+"/api/assessment/reopen", admin, closeBody)
	wantError(t, "reopen without reason", resp, b, 400, "invalid")
	if resp, b = do(t, "POST", base+"/api/assessment/reopen", admin, fmt.Sprintf(`{"unit_code":%q,"month":%q,"reason":"补录电话抽查"}`, street, lastS)); resp.StatusCode != 200 {
		t.Fatalf("reopen: %d %s", resp.StatusCode, b)
	}
	if count(`SELECT count(*) FROM audit_log WHERE action = 'assessment.reopen' AND username = 'admin' AND reason = '补录电话抽查'`) != 1 {
		t.Error("reopen not audited")
	}
	reopened := getMonth(t, base, leader, street, lastS)
	if reopened.State != "open" || reopened.RulesUnit != "" {
		t.Errorf("reopened month: %s rules %q", reopened.State, reopened.RulesUnit)
	}
	score := func(m assessMonth) float64 {
		for _, w := range m.Workers {
			if w.WorkerID == worker {
				return w.Score
			}
		}
		return math.NaN()
	}
	if d := score(frozen) - score(reopened); math.Abs(d-5) > 1e-9 {
		t.Errorf("reopened month: the late unanswered call cost %v, want 5 (rules of the month, not the new ones)", d)
	}

	// Scope: a recorder of another community may not record for this worker.
	hash, _ := auth.HashPassword(demoPassword)
	if _, err := pool.Exec(ctx, `INSERT INTO users (username, password_hash, role, unit_code)
        SELECT 'leader2', $1, 'leader', code FROM units WHERE level = 3 AND code <> left($2, 12) ORDER BY code LIMIT 1`, hash, grid); err != nil ||
		count(`SELECT count(*) FROM users WHERE username = 'leader2' AND unit_code IS NOT NULL`) != 1 {
		t.Fatalf("a leader of another community: %v", err)
	}
	leader2 := loginAs(t, base, "leader2")
	phones = count(`SELECT count(*) FROM phone_spot_checks`)
	resp, b = do(t, "POST", base+"/api/assessment/phone-checks", leader2, check(""))
	wantError(t, "worker outside the recorder's units", resp, b, 403, "forbidden")
	resp, b = do(t, "POST", base+"/api/assessment/dispatch-checks", leader, fmt.Sprintf(`{"user_id":%d,"at":%q,"level":"town"}`, worker, at))
	wantError(t, "unknown level", resp, b, 400, "invalid")
	resp, b = do(t, "POST", base+"/api/assessment/phone-checks", leader, fmt.Sprintf(`{"user_id":%d,"at":%q,"answered":false}`, worker, now.AddDate(0, 0, 2).Format(time.RFC3339)))
	wantError(t, "future check", resp, b, 400, "invalid")
	if count(`SELECT count(*) FROM phone_spot_checks`) != phones {
		t.Error("refused checks were stored")
	}

	// Training: a session with one worker excused; a bad status stores nothing.
	sessions := count(`SELECT count(*) FROM training_sessions`)
	resp, b = do(t, "POST", base+"/api/assessment/training", leader, fmt.Sprintf(`{"unit_code":%q,"title":"消防培训","held_on":%q,"attendance":[{"user_id":%d,"status":"sleeping"}]}`,
		street, now.Format(time.DateOnly), worker))
	wantError(t, "bad attendance", resp, b, 400, "invalid")
	if count(`SELECT count(*) FROM training_sessions`) != sessions {
		t.Error("a refused session was stored")
	}
	if resp, b = do(t, "POST", base+"/api/assessment/training", leader, fmt.Sprintf(`{"unit_code":%q,"title":"消防培训","held_on":%q,"attendance":[{"user_id":%d,"status":"excused","note":"病假"}]}`,
		street, now.Format(time.DateOnly), worker)); resp.StatusCode != 201 {
		t.Fatalf("training: %d %s", resp.StatusCode, b)
	}
	var session struct{ ID int64 }
	json.Unmarshal(b, &session)
	// Idempotent: the same key and body store once; the same key with another body conflicts.
	idem := func(body string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/api/assessment/dispatch-checks", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+leader)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "dispatch-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	dispatches := count(`SELECT count(*) FROM dispatch_checks`)
	today := now.Add(-time.Hour).Format(time.RFC3339)
	dBody := fmt.Sprintf(`{"user_id":%d,"at":%q,"level":"city","note":"市级抽查未接"}`, worker, today)
	st1, b1s := idem(dBody)
	st2, b2s := idem(dBody)
	st3, _ := idem(strings.Replace(dBody, "city", "county", 1))
	if st1 != 201 || st2 != st1 || b1s != b2s || st3 != 409 || count(`SELECT count(*) FROM dispatch_checks`) != dispatches+1 {
		t.Errorf("idempotent dispatch check: %d %d %d, %d stored", st1, st2, st3, count(`SELECT count(*) FROM dispatch_checks`)-dispatches)
	}
	// Attendance corrected later: the excused worker marked absent loses 2 points.
	if resp, b = do(t, "POST", fmt.Sprintf("%s/api/assessment/training/%d/attendance", base, session.ID), leader,
		fmt.Sprintf(`{"user_id":%d,"status":"absent","note":"未请假"}`, worker)); resp.StatusCode != 201 {
		t.Fatalf("attendance: %d %s", resp.StatusCode, b)
	}
	cur := getMonth(t, base, leader, street, thisS)
	for _, w := range cur.Workers {
		for _, it := range w.Items {
			if w.WorkerID == worker && it.Item == "training" && (len(it.Deductions) != 1 || it.Points != 8) {
				t.Errorf("absent after correction: %+v", it)
			}
			if w.WorkerID == worker && it.Item == "dispatch" && len(it.Deductions) != 1 {
				t.Errorf("this month's city dispatch check: %+v", it)
			}
		}
	}
	// Back to excused for the count below.
	do(t, "POST", fmt.Sprintf("%s/api/assessment/training/%d/attendance", base, session.ID), leader, fmt.Sprintf(`{"user_id":%d,"status":"excused"}`, worker))
	cur = getMonth(t, base, leader, street, thisS)
	absent := 0
	for _, w := range cur.Workers {
		for _, it := range w.Items {
			if it.Item == "training" {
				absent += len(it.Deductions)
				if w.WorkerID == worker && len(it.Deductions) != 0 {
					t.Error("an excused worker lost training points")
				}
			}
		}
	}
	if absent != len(cur.Workers)-1 {
		t.Errorf("%d unexcused absences, want every worker but the excused one (%d)", absent, len(cur.Workers)-1)
	}

	// Export: one row per worker, one column per item; read back, same numbers.
	resp, b = do(t, "GET", base+"/api/assessment/export?unit="+street+"&month="+lastS+"&format=xlsx", leader, "")
	if resp.StatusCode != 200 {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, b)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(lastS)
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, "xlsx", rows[1:], reopened)
	resp, b = do(t, "GET", base+"/api/assessment/export?unit="+street+"&month="+lastS+"&format=csv", leader, "")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if resp.StatusCode != 200 || err != nil {
		t.Fatalf("csv: %d %v", resp.StatusCode, err)
	}
	checkTable(t, "csv", recs, reopened)

	// The year: a grade for every worker.
	resp, b = do(t, "GET", fmt.Sprintf("%s/api/assessment/year?unit=%s&year=%d", base, street, last.Year()), leader, "")
	var year struct{ Workers []struct{ Grade string } }
	if json.Unmarshal(b, &year) != nil || resp.StatusCode != 200 || len(year.Workers) == 0 || year.Workers[0].Grade == "" {
		t.Errorf("year: %d %s", resp.StatusCode, b)
	}
}

// checkTable compares an export (header row first) with the month's JSON.
func checkTable(t *testing.T, what string, rows [][]string, m assessMonth) {
	t.Helper()
	if len(rows) != len(m.Workers)+1 {
		t.Fatalf("%s: %d rows for %d workers", what, len(rows)-1, len(m.Workers))
	}
	if len(rows[0]) != 3+len(m.Items)+4 {
		t.Fatalf("%s header %q", what, rows[0])
	}
	num := func(s string) float64 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("%s: %q is not a number", what, s)
		}
		return f
	}
	for i, w := range m.Workers {
		r := rows[i+1]
		if r[1] != w.Worker || r[2] != w.Grid || num(r[0]) != float64(w.Rank) || num(r[3+len(m.Items)]) != w.Score || num(r[4+len(m.Items)]) != w.Money {
			t.Errorf("%s row %d %q, want %s %s rank %d score %v money %v", what, i, r, w.Worker, w.Grid, w.Rank, w.Score, w.Money)
		}
		for j, it := range w.Items {
			if num(r[3+j]) != it.Points {
				t.Errorf("%s row %d item %s: %q, want %v", what, i, it.Item, r[3+j], it.Points)
			}
		}
	}
}

func unmarshalMonth(t *testing.T, b []byte) assessMonth {
	t.Helper()
	var m assessMonth
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// phoneRules: the default scheme with unanswered calls at −10 and 50 yuan.
func phoneRules(t *testing.T) string {
	r := assessment.Default()
	for i := range r.Items {
		if r.Items[i].Kind == assessment.Phone {
			r.Items[i].Each = assessment.Penalty{Points: 10, Money: 50}
		}
	}
	return mustJSON(r)
}
