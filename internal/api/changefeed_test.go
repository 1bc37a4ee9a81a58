package api_test

import (
	"encoding/json"
	"testing"

	"wangge/internal/auth"
)

// The feed over HTTP: scoped to the caller's unit, paged by cursor, bad
// input refused.
func TestChangeFeedEndpoint(t *testing.T) {
	base := demoServer(t)
	admin := tokenFor(t, base, "admin")
	resp, body := do(t, "GET", base+"/api/changes?types=unit&limit=5", admin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("changes: %d %s", resp.StatusCode, body)
	}
	var raw struct {
		Changes []map[string]any
		Next    string
	}
	if err := json.Unmarshal(body, &raw); err != nil || len(raw.Changes) != 5 || raw.Next == "" {
		t.Fatalf("first page: %v %s", err, body)
	}
	for _, c := range raw.Changes {
		if c["type"] != "unit" {
			t.Errorf("types=unit gave %v", c["type"])
		}
	}
	resp, body = do(t, "GET", base+"/api/changes?types=unit&limit=5&after="+raw.Next, admin, "")
	var second struct{ Changes []map[string]any }
	if err := json.Unmarshal(body, &second); err != nil || resp.StatusCode != 200 || len(second.Changes) == 0 {
		t.Fatalf("second page: %d %s", resp.StatusCode, body)
	}
	if second.Changes[0]["seq"] == raw.Changes[4]["seq"] {
		t.Errorf("second page repeats the first's last change")
	}
	for _, bad := range []string{"after=x", "limit=0", "types=people"} {
		resp, body := do(t, "GET", base+"/api/changes?"+bad, admin, "")
		wantError(t, bad, resp, body, 400, "invalid")
	}
	// A leader sees only changes inside their unit.
	leader := tokenFor(t, base, "leader")
	_, body = do(t, "GET", base+"/api/me", leader, "")
	var me struct {
		Unit string `json:"unit_code"`
	}
	_ = json.Unmarshal(body, &me)
	if me.Unit == "" {
		t.Fatalf("leader has no unit: %s", body)
	}
	_, body = do(t, "GET", base+"/api/changes?limit=1000", leader, "")
	var scoped struct{ Changes []map[string]any }
	if err := json.Unmarshal(body, &scoped); err != nil || len(scoped.Changes) == 0 {
		t.Fatalf("leader's feed: %s", body)
	}
	for _, c := range scoped.Changes {
		if u, _ := c["unit_code"].(string); !auth.Within(u, me.Unit) {
			t.Fatalf("leader of %s sees a change of %s", me.Unit, u)
		}
	}
	// Auditors do not read field activity.
	resp, _ = do(t, "GET", base+"/api/changes", tokenFor(t, base, "auditor"), "")
	if resp.StatusCode != 403 {
		t.Errorf("auditor: %d, want 403", resp.StatusCode)
	}
}
