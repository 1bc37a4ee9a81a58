package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/internal/webhook"
	"wangge/static"
)

// A connected system end to end: issued with a key and a webhook for one
// street's unit and incident changes; bad requests refused; it pulls the
// feed with its key (only its types, only its street); its webhook gets
// every change once acknowledged, signed, in order — after a failed
// delivery it gets the same page again (at least once) and its cursor did
// not move; revoked, the key is refused and nothing more is pushed.
func TestConnectedSystemPullsAndIsPushedTheFeed(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 20, PatrolDays: -1, Password: demoPassword})
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	admin := loginAs(t, srv.URL, "admin")
	ctx := context.Background()
	var street string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 2 ORDER BY code LIMIT 1`).Scan(&street); err != nil {
		t.Fatal(err)
	}

	// The receiver: fails its first delivery, then accepts; checks every signature.
	var mu sync.Mutex
	var got []store.Change
	var deliveries, refused int
	var sigErr error
	var secret string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			sigErr = err
		}
		deliveries++
		if deliveries == 1 {
			refused++
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var d webhook.Delivery
		if err := json.Unmarshal(body, &d); err != nil {
			sigErr = err
		}
		got = append(got, d.Changes...)
	}))
	defer recv.Close()

	for _, bad := range []struct{ body, want string }{
		{`{"name":"","types":["unit"]}`, "name"},
		{`{"name":"平台","types":["people"]}`, "types"},
		{`{"name":"平台","webhook_url":"ftp://x"}`, "webhook_url"},
		{`{"name":"平台","webhook_url":"https://u:p@host/"}`, "webhook_url"},
		{`{"name":"平台","unit_code":"12"}`, "unit_code"},
	} {
		resp, body := do(t, "POST", srv.URL+"/api/systems", admin, bad.body)
		wantError(t, bad.body, resp, body, 400, "invalid")
		if !strings.Contains(string(body), bad.want) {
			t.Errorf("%s: %s does not name %s", bad.body, body, bad.want)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM systems`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("bad requests stored %d systems (%v)", n, err)
	}

	resp, body := do(t, "POST", srv.URL+"/api/systems", admin,
		`{"name":"区网格化平台","unit_code":"`+street+`","types":["unit","incident"],"webhook_url":"`+recv.URL+`/hook"}`)
	var created struct {
		System        store.System
		Key           string
		WebhookSecret string `json:"webhook_secret"`
	}
	if resp.StatusCode != 201 || json.Unmarshal(body, &created) != nil || !strings.HasPrefix(created.Key, "wgs_") || created.WebhookSecret == "" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	secret = created.WebhookSecret
	_, body = do(t, "GET", srv.URL+"/api/systems", admin, "")
	if strings.Contains(string(body), created.WebhookSecret) || strings.Contains(string(body), created.Key) || !strings.Contains(string(body), "区网格化平台") {
		t.Errorf("the list shows a secret or misses the system: %s", body)
	}

	// Changes after the system was made: in its street (units, an incident
	// through SQL), outside it, and of a type it may not read.
	if _, err := pool.Exec(ctx, `UPDATE units SET name = name || '·' WHERE parent_code LIKE $1 || '%' AND level = 4`, street[:9]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE units SET name = name || '·' WHERE level = 2 AND code <> $1`, street); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE incidents SET title = title WHERE grid_code LIKE $1 || '%'`, street[:9]); err != nil {
		t.Fatal(err)
	}

	// Pull with the key, from where the system was made (the webhook's start).
	resp, body = do(t, "GET", srv.URL+"/api/changes?limit=1000&after="+created.System.Cursor, created.Key, "")
	var pulled struct{ Changes []store.Change }
	if resp.StatusCode != 200 || json.Unmarshal(body, &pulled) != nil || len(pulled.Changes) == 0 {
		t.Fatalf("pull with the key: %d %s", resp.StatusCode, body)
	}
	for _, c := range pulled.Changes {
		if !strings.HasPrefix(c.Unit, street[:9]) || (c.Type != "unit" && c.Type != "incident") {
			t.Fatalf("the system of street %s got %s %s", street, c.Type, c.Unit)
		}
	}
	resp, body = do(t, "GET", srv.URL+"/api/changes?types=visit", created.Key, "")
	wantError(t, "types=visit", resp, body, 403, "forbidden")

	// Push: the first attempt fails and moves nothing; the next (due after
	// the back-off, on the deliverer's clock) delivers everything since.
	now := time.Now()
	d := &webhook.Deliverer{Store: store.New(pool), Clock: func() time.Time { return now }, Page: 7}
	if sent, err := d.Sweep(ctx, now); err != nil || sent != 0 {
		t.Fatalf("first sweep: %d, %v", sent, err)
	}
	var failures int
	var cursor string
	if err := pool.QueryRow(ctx, `SELECT failures, cursor_xid::text || '.' || cursor_seq FROM systems`).Scan(&failures, &cursor); err != nil || failures != 1 || cursor != created.System.Cursor {
		t.Fatalf("after the refused delivery: failures %d, cursor %s (was %s), %v", failures, cursor, created.System.Cursor, err)
	}
	if sent, _ := d.Sweep(ctx, now); sent != 0 {
		t.Fatalf("a sweep before the back-off delivered %d", sent)
	}
	// Each sweep pushes at most Pages pages of Page changes; sweeps go on
	// until nothing is left.
	now = now.Add(time.Minute)
	total := 0
	for sweeps := 0; ; sweeps++ {
		sent, err := d.Sweep(ctx, now)
		if err != nil || sweeps > 100 {
			t.Fatalf("sweep %d: %v", sweeps, err)
		}
		if sent == 0 {
			break
		}
		total += sent
	}
	if total != len(pulled.Changes) {
		t.Fatalf("delivered %d changes; the feed has %d", total, len(pulled.Changes))
	}
	mu.Lock()
	if sigErr != nil {
		t.Errorf("receiver: %v", sigErr)
	}
	if refused != 1 || len(got) != len(pulled.Changes) {
		t.Errorf("receiver: %d refused, %d changes, want 1 and %d", refused, len(got), len(pulled.Changes))
	}
	for i := range got {
		if i < len(pulled.Changes) && got[i].Cursor != pulled.Changes[i].Cursor {
			t.Fatalf("push %d is %s, pull has %s: not the feed's order", i, got[i].Cursor, pulled.Changes[i].Cursor)
		}
	}
	mu.Unlock()

	// Revoked: the key is refused; new changes are not pushed.
	resp, _ = do(t, "DELETE", srv.URL+"/api/systems/"+jsonID(created.System.ID), admin, "")
	if resp.StatusCode != 204 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	resp, body = do(t, "GET", srv.URL+"/api/changes", created.Key, "")
	wantError(t, "revoked key", resp, body, 401, "unauthorized")
	if _, err := pool.Exec(ctx, `UPDATE units SET name = name || '·' WHERE code = $1`, street); err != nil {
		t.Fatal(err)
	}
	if sent, _ := d.Sweep(ctx, now.Add(time.Hour)); sent != 0 {
		t.Errorf("a revoked system was pushed %d changes", sent)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('system.create', 'system.revoke')`).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("audit: %d entries, want 2 (%v)", audited, err)
	}
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }
