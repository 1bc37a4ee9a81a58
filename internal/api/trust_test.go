package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"wangge/internal/api"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/static"
)

func TestEverythingButHealthNeedsALogin(t *testing.T) {
	base := demoServer(t)
	for _, p := range []string{"/api/grids", "/api/grids/330199001001001", "/api/me", "/api/audit"} {
		resp, body := getAnonymous(t, base+p)
		if resp.StatusCode != 401 || !strings.Contains(string(body), `"unauthorized"`) {
			t.Errorf("anonymous %s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, _ := do(t, "GET", base+"/api/grids", "not-a-token", "")
	if resp.StatusCode != 401 {
		t.Errorf("bad token: %d", resp.StatusCode)
	}
}

// role × resource for the endpoints that exist; each later endpoint adds its rows.
func TestRoleMatrix(t *testing.T) {
	base := demoServer(t)
	cases := []struct {
		path string
		want map[auth.Role]int
	}{
		{"/api/grids", map[auth.Role]int{auth.Admin: 200, auth.Planner: 200, auth.Officer: 200, auth.Leader: 200, auth.Auditor: 200}},
		{"/api/audit", map[auth.Role]int{auth.Admin: 200, auth.Planner: 403, auth.Officer: 403, auth.Leader: 403, auth.Auditor: 200}},
		{"/api/me", map[auth.Role]int{auth.Admin: 200, auth.Planner: 200, auth.Officer: 200, auth.Leader: 200, auth.Auditor: 200}},
	}
	for _, c := range cases {
		for role, want := range c.want {
			resp, body := do(t, "GET", base+c.path, tokenFor(t, base, string(role)), "")
			if resp.StatusCode != want {
				t.Errorf("%s as %s: %d, want %d (%s)", c.path, role, resp.StatusCode, want, body)
			}
		}
	}
	// /api/me tells the front end the role and scope.
	_, body := do(t, "GET", base+"/api/me", tokenFor(t, base, "officer"), "")
	var me auth.Principal
	if err := json.Unmarshal(body, &me); err != nil || me.Role != auth.Officer || len(me.Unit) != 15 {
		t.Errorf("officer /api/me = %s", body)
	}
}

func TestLockOutAfterRepeatedFailures(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	st := store.New(demoPool)
	if _, err := st.PutUser(ctx, demoPool, store.NewUser{Username: "lockme", Password: "right-password", Role: "planner"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		resp, body := do(t, "POST", base+"/api/login", "", `{"username":"lockme","password":"wrong-password"}`)
		if resp.StatusCode != 401 {
			t.Fatalf("attempt %d: %d %s", i, resp.StatusCode, body)
		}
	}
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"lockme","password":"right-password"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "locked") {
		t.Fatalf("locked account: %d %s", resp.StatusCode, body)
	}
	var failed int
	if err := demoPool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND object_id = 'lockme'`).Scan(&failed); err != nil {
		t.Fatal(err)
	}
	if failed != 5 {
		t.Errorf("%d failed logins audited, want 5", failed)
	}
	// Unknown users are refused the same way, and audited.
	resp, _ = do(t, "POST", base+"/api/login", "", `{"username":"nobody","password":"whatever-it-is"}`)
	if resp.StatusCode != 401 {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
	// ...but what was typed as an unknown username (perhaps a password in
	// the wrong field) is not written to the append-only log.
	var typed, digests int
	if err := demoPool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE object_id = 'nobody'), count(*) FILTER (WHERE object_id LIKE 'unknown:%') FROM audit_log WHERE action = 'login_failed'`).Scan(&typed, &digests); err != nil {
		t.Fatal(err)
	}
	if typed != 0 || digests == 0 {
		t.Errorf("unknown username audited as typed %d times, as a digest %d times", typed, digests)
	}
	for _, bad := range []string{``, `{`, `{"username":"` + strings.Repeat("u", 65) + `","password":"x"}`, `{"username":"admin"}`, `{"username":"admin","password":"x","extra":1}`, `[1,2]`} {
		if resp, body := do(t, "POST", base+"/api/login", "", bad); resp.StatusCode != 400 {
			t.Errorf("login body %q: %d %s", bad, resp.StatusCode, body)
		}
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	demoServer(t)
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: quiet,
		LoginPerMinute: 1, LoginBurst: 3}).Handler())
	defer srv.Close()
	codes := []int{}
	for i := 0; i < 5; i++ {
		resp, _ := do(t, "POST", srv.URL+"/api/login", "", `{"username":"nobody","password":"whatever-it-is"}`)
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 401 || codes[4] != 429 {
		t.Errorf("status codes %v: want 401 first and 429 once the burst of 3 is spent", codes)
	}
}

func TestLogoutAndExpiryEndSessions(t *testing.T) {
	base := demoServer(t)
	resp, body := do(t, "POST", base+"/api/login", "", `{"username":"leader","password":"`+demoPassword+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	var r struct{ Token string }
	_ = json.Unmarshal(body, &r)
	if resp, _ := do(t, "GET", base+"/api/me", r.Token, ""); resp.StatusCode != 200 {
		t.Fatalf("fresh token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", base+"/api/logout", r.Token, ""); resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", base+"/api/me", r.Token, ""); resp.StatusCode != 401 {
		t.Errorf("token after logout: %d", resp.StatusCode)
	}

	// A session past its expiry is refused.
	ctx := context.Background()
	u, err := store.New(demoPool).UserByName(ctx, "leader")
	if err != nil {
		t.Fatal(err)
	}
	token, hash, _ := auth.NewToken()
	if err := store.New(demoPool).CreateSession(ctx, u.UserID, hash, time.Now().Add(-time.Minute), "test"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := do(t, "GET", base+"/api/me", token, ""); resp.StatusCode != 401 {
		t.Errorf("expired token: %d", resp.StatusCode)
	}
}

// The audit log cannot be changed: no API verb writes it, and the database
// refuses UPDATE, DELETE and TRUNCATE even to the table's owner.
func TestAuditLogIsAppendOnly(t *testing.T) {
	base := demoServer(t)
	auditor := tokenFor(t, base, "auditor")
	_, body := do(t, "GET", base+"/api/audit?action=login&limit=5", auditor, "")
	var page struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Entries) == 0 {
		t.Fatalf("audit page: %s", body)
	}
	e := page.Entries[0]
	if e.Action != "login" || e.Username == "" || e.ClientIP == "" || e.At.IsZero() {
		t.Errorf("entry %+v lacks who/what/when/where", e)
	}
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		resp, _ := do(t, m, base+"/api/audit", auditor, `{"action":"forged"}`)
		if resp.StatusCode != 405 {
			t.Errorf("%s /api/audit: %d, want 405", m, resp.StatusCode)
		}
	}
	ctx := context.Background()
	for _, q := range []string{
		`UPDATE audit_log SET action = 'forged'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
	} {
		if _, err := demoPool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want refusal", q, err)
		}
	}
	for _, bad := range []string{"?limit=0", "?limit=x", "?from=yesterday", "?before=-1"} {
		if resp, _ := do(t, "GET", base+"/api/audit"+bad, auditor, ""); resp.StatusCode != 400 {
			t.Errorf("/api/audit%s: %d, want 400", bad, resp.StatusCode)
		}
	}
}
