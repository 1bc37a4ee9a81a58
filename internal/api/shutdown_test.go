package api_test

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/store"
	"wangge/static"
)

// TestShutdownAnswers503: a request still running when the shutdown grace
// is over (here: waiting for a table lock held by the test) is cancelled and
// answered 503 with Retry-After, not 500 and not a dropped connection; Serve
// then returns.
func TestShutdownAnswers503(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	st := store.New(pool)
	if _, err := st.PutUser(ctx, pool, store.NewUser{Username: "admin", Password: demoPassword, Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{Store: st, Static: static.FS, Logger: quiet, ShutdownGrace: time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, shutdown := context.WithCancel(ctx)
	defer shutdown()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, l) }()
	base := "http://" + l.Addr().String()
	token := loginAt(t, base, "admin")

	// The session lookup of the next request waits for this lock.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		status      int
		retry, code string
	}
	got := make(chan answer, 1)
	go func() {
		resp, body := do(t, "GET", base+"/api/me", token, "")
		var e struct{ Error struct{ Code string } }
		_ = json.Unmarshal(body, &e)
		got <- answer{resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code}
	}()
	for waiting := 0; waiting == 0; {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	shutdown()
	a := <-got
	if a.status != 503 || a.retry == "" || a.code != "unavailable" {
		t.Errorf("request in flight at shutdown: %d, Retry-After %q, code %q; want 503 with Retry-After", a.status, a.retry, a.code)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
