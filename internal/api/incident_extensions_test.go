package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

type extResp struct {
	ID        int64
	Status    string
	Hours     int
	Reason    string
	CanDecide bool `json:"can_decide"`
}

func (w *incidentWorld) askExtension(t *testing.T, tok, id string, hours int, note string) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"hours": hours, "note": note})
	resp, body := do(t, "POST", w.base+"/api/incidents/"+id+"/extensions", tok, string(b))
	return resp.StatusCode, body
}

func (w *incidentWorld) decideExtension(t *testing.T, tok string, rid int64, approve bool, note string) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"approve": approve, "note": note})
	resp, body := do(t, "POST", fmt.Sprintf("%s/api/incidents/extensions/%d/decision", w.base, rid), tok, string(b))
	return resp.StatusCode, body
}

func (w *incidentWorld) pending(t *testing.T, tok string) []extResp {
	t.Helper()
	resp, b := do(t, "GET", w.base+"/api/incidents/extensions?status=pending", tok, "")
	var out struct{ Requests []extResp }
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil {
		t.Fatalf("pending requests: %d %s", resp.StatusCode, b)
	}
	return out.Requests
}

func (w *incidentWorld) due(t *testing.T, id string) time.Time {
	t.Helper()
	var due time.Time
	if err := w.pool.QueryRow(t.Context(), `SELECT due_at FROM incidents WHERE client_id = $1`, id).Scan(&due); err != nil {
		t.Fatal(err)
	}
	return due
}

// TestIncidentExtensionRequestIsApprovedByTheLevelAbove: the grid worker
// asks for more time, the acceptance centre (or the leader) approves or
// refuses; refusals and bad requests change nothing.
func TestIncidentExtensionRequestIsApprovedByTheLevelAbove(t *testing.T) {
	w := newIncidentWorld(t)
	x := w.report(t, w.officer, "sanitation.sewage") // coordination, at the grid level
	due0 := w.due(t, x.ID)
	events := func() int {
		return w.count(t, `SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id WHERE i.client_id = $1`, x.ID)
	}
	ev0 := events()

	// Bad requests and the wrong people: nothing stored.
	for _, c := range []struct {
		tok    string
		hours  int
		note   string
		status int
	}{
		{w.officer, 0, "需要时间", 400}, {w.officer, 2001, "需要时间", 400}, {w.officer, 8, " ", 400},
		{w.centre, 8, "中心自己申请", 403}, // the level above grants directly; it does not ask
		{w.leader, 8, "领导申请", 403},   // no write permission
		{w.auditor, 8, "审计", 403},
	} {
		if st, b := w.askExtension(t, c.tok, x.ID, c.hours, c.note); st != c.status {
			t.Errorf("ask hours %d note %q: %d %s, want %d", c.hours, c.note, st, b, c.status)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM incident_extension_requests`); n != 0 || events() != ev0 {
		t.Fatalf("refused requests stored %d rows, %d events", n, events()-ev0)
	}

	st, b := w.askExtension(t, w.officer, x.ID, 16, "需协调水务局抢修")
	var r extResp
	if st != 201 || json.Unmarshal(b, &r) != nil || r.Status != "pending" || r.Hours != 16 {
		t.Fatalf("ask: %d %s", st, b)
	}
	if st, b := w.askExtension(t, w.officer, x.ID, 8, "再申请"); st != 409 {
		t.Errorf("a second pending request: %d %s, want 409", st, b)
	}
	if !w.due(t, x.ID).Equal(due0) {
		t.Error("asking moved the deadline")
	}
	// The worker sees their request but may not decide it; the centre may.
	if p := w.pending(t, w.officer); len(p) != 1 || p[0].CanDecide {
		t.Errorf("officer's pending list %+v", p)
	}
	if p := w.pending(t, w.centre); len(p) != 1 || !p[0].CanDecide || p[0].ID != r.ID {
		t.Errorf("centre's pending list %+v", p)
	}
	if st, b := w.decideExtension(t, w.officer, r.ID, true, ""); st != 403 {
		t.Errorf("the worker approves their own request: %d %s", st, b)
	}
	if st, b := w.decideExtension(t, w.centre, r.ID, false, ""); st != 400 {
		t.Errorf("a refusal without a reason: %d %s", st, b)
	}
	if !w.due(t, x.ID).Equal(due0) || w.count(t, `SELECT count(*) FROM incident_extension_requests WHERE status = 'pending'`) != 1 {
		t.Fatal("a refused decision changed something")
	}

	// The centre and a second click approve at once: one wins, the other is told it was decided.
	codes := raceStatus(fmt.Sprintf("%s/api/incidents/extensions/%d/decision", w.base, r.ID), w.centre, `{"approve": true}`, 3)
	if codes[200] != 1 || codes[409] != 2 {
		t.Fatalf("three racing approvals answered %v, want one 200 and two 409", codes)
	}
	// 16 working hours on the calendar from the old deadline: at least two
	// calendar days later, exactly what the direct "extended" move gives.
	due1 := w.due(t, x.ID)
	if due1.Sub(due0) < 16*time.Hour {
		t.Errorf("deadline %s → %s: not 16 working hours later", due0, due1)
	}
	if n := w.count(t, `SELECT count(*) FROM incident_events e JOIN incidents i ON i.id = e.incident_id
        WHERE i.client_id = $1 AND e.action = 'extended' AND (e.details->>'hours')::int = 16`, x.ID); n != 1 {
		t.Errorf("%d extended events", n)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'incident.extension_approved' AND object_id = $1`, x.ID); n != 1 {
		t.Errorf("%d audit lines for the approval", n)
	}
	if st, _ := w.decideExtension(t, w.leader, r.ID, true, ""); st != 409 {
		t.Errorf("deciding twice: %d, want 409", st)
	}

	// A second request, refused by the leader: the deadline stays.
	st, b = w.askExtension(t, w.officer, x.ID, 8, "仍需时间")
	if st != 201 || json.Unmarshal(b, &r) != nil {
		t.Fatalf("second ask: %d %s", st, b)
	}
	if st, b := w.decideExtension(t, w.leader, r.ID, false, "期限已足"); st != 200 {
		t.Fatalf("leader refuses: %d %s", st, b)
	}
	if !w.due(t, x.ID).Equal(due1) {
		t.Error("a refusal moved the deadline")
	}
	if n := w.count(t, `SELECT count(*) FROM incident_extension_requests WHERE status = 'rejected' AND decision_note = '期限已足'`); n != 1 {
		t.Errorf("%d rejected requests", n)
	}

	// A closed case takes no request.
	y := w.report(t, w.officer, "sanitation.litter") // routine: handled by the worker
	for _, to := range []string{"handled"} {
		if resp, b := w.move(t, w.officer, y.ID, map[string]any{"to": to, "note": "已清理"}); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", to, resp.StatusCode, b)
		}
	}
	for _, to := range []string{"verified", "closed"} {
		if resp, b := w.move(t, w.centre, y.ID, map[string]any{"to": to, "note": "已核查"}); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", to, resp.StatusCode, b)
		}
	}
	if st, b := w.askExtension(t, w.officer, y.ID, 8, "结案后"); st != 409 {
		t.Errorf("request on a closed case: %d %s, want 409", st, b)
	}
}
