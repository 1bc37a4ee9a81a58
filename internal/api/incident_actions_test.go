package api_test

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestIncidentActionsAreTheMovesTheCallerMayMake: the buttons the phone and
// the queue show come from the server, per caller, and agree with what the
// transition endpoint then does.
func TestIncidentActionsAreTheMovesTheCallerMayMake(t *testing.T) {
	w := newIncidentWorld(t)
	x := w.report(t, w.officer, "cityorder.facility") // coordination, at the grid level
	actions := func(tok string) []string {
		t.Helper()
		resp, b := do(t, "GET", w.base+"/api/incidents/"+x.ID, tok, "")
		var one struct{ Actions []string }
		if resp.StatusCode != 200 || json.Unmarshal(b, &one) != nil {
			t.Fatalf("get: %d %s", resp.StatusCode, b)
		}
		resp, b = do(t, "GET", w.base+"/api/incidents?limit=500", tok, "")
		var list struct{ Actions map[string][]string }
		if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil {
			t.Fatalf("list: %d %s", resp.StatusCode, b)
		}
		if !slices.Equal(list.Actions[x.ID], one.Actions) {
			t.Errorf("list says %v, the case says %v", list.Actions[x.ID], one.Actions)
		}
		return one.Actions
	}
	for _, c := range []struct {
		who, tok string
		want     []string
	}{
		{"officer", w.officer, []string{"escalated"}},                                  // the centre accepts; the worker may only send it up
		{"centre", w.centre, []string{"accepted", "invalid", "extended", "escalated"}}, // 受理中心
		{"leader", w.leader, []string{"extended"}},                                     // approves, does not handle
	} {
		if got := actions(c.tok); !slices.Equal(got, c.want) {
			t.Errorf("%s may %v, want %v", c.who, got, c.want)
		}
	}
	// What is offered works; what is not is refused.
	if resp, b := w.move(t, w.officer, x.ID, map[string]any{"to": "accepted"}); resp.StatusCode != 403 {
		t.Errorf("officer accepts (not offered): %d %s", resp.StatusCode, b)
	}
	if resp, b := w.move(t, w.centre, x.ID, map[string]any{"to": "accepted"}); resp.StatusCode != 200 {
		t.Fatalf("centre accepts (offered): %d %s", resp.StatusCode, b)
	}
	if got, want := actions(w.centre), []string{"dispatched", "handled", "extended", "parked", "escalated"}; !slices.Equal(got, want) {
		t.Errorf("centre may now %v, want %v", got, want)
	}

	// state=open: every case not closed or invalid, as the queue asks for it.
	if resp, b := w.move(t, w.centre, w.report(t, w.officer, "sanitation.litter").ID, map[string]any{"to": "invalid"}); resp.StatusCode != 200 {
		t.Fatalf("invalid: %d %s", resp.StatusCode, b)
	}
	resp, b := do(t, "GET", w.base+"/api/incidents?state=open&limit=500&grid="+w.grid, w.centre, "")
	var list struct{ Incidents []caseResp }
	if resp.StatusCode != 200 || json.Unmarshal(b, &list) != nil {
		t.Fatalf("state=open: %d %s", resp.StatusCode, b)
	}
	want := w.count(t, `SELECT count(*) FROM incidents WHERE grid_code = $1 AND status NOT IN ('closed', 'invalid')`, w.grid)
	if len(list.Incidents) != want || want == 0 {
		t.Errorf("state=open lists %d cases, the grid has %d open", len(list.Incidents), want)
	}
	for _, c := range list.Incidents {
		if c.State == "closed" || c.State == "invalid" {
			t.Errorf("state=open lists %s case %s", c.State, c.ID)
		}
	}
}
