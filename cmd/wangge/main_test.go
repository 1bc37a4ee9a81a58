package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"wangge/internal/dbtest"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The binary's own path: demo then serve on DATABASE_URL, answer, and shut
// down cleanly when told to.
func TestDemoThenServeThenGracefulShutdown(t *testing.T) {
	_, dsn := dbtest.New(t)
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("WANGGE_LOG_LEVEL", "warn")
	t.Setenv("WANGGE_DEMO_PASSWORD", "serve-test-password")
	ctx := context.Background()

	var out, errb bytes.Buffer
	if code := run(ctx, "demo", []string{"--seed", "3", "--patrol-days", "1"}, &out, &errb); code != 0 {
		t.Fatalf("demo exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "grids") {
		t.Errorf("demo printed %q", out.String())
	}

	addr := freePort(t)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() { done <- run(sctx, "serve", []string{"--addr", addr}, &out, &errb) }()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		resp, err = http.Post("http://"+addr+"/api/login", "application/json",
			strings.NewReader(`{"username":"planner","password":"serve-test-password"}`))
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v; log: %s", err, errb.String())
	}
	var login struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&login); err != nil || login.Token == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/grids", nil)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) < 60 {
		t.Fatalf("GET /api/grids: %v, type %q, %d features", err, fc.Type, len(fc.Features))
	}
	resp.Body.Close()
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func TestUsageErrors(t *testing.T) {
	var out, errb bytes.Buffer
	for _, c := range []struct {
		cmd  string
		args []string
	}{
		{"frobnicate", nil},
		{"serve", []string{"--addr", "no-port"}},
		{"demo", []string{"--scale", "0"}},
		{"demo", []string{"--no-such-flag"}},
		{"backup", nil},
		{"restore", []string{"--into"}},
		{"user", []string{"remove"}},
	} {
		errb.Reset()
		if code := run(context.Background(), c.cmd, c.args, &out, &errb); code != 2 {
			t.Errorf("%s %v: exit %d, want 2 (%s)", c.cmd, c.args, code, errb.String())
		}
		if errb.Len() == 0 {
			t.Errorf("%s %v: no message", c.cmd, c.args)
		}
	}
}

// dburl prints the database in use, so tools such as the browser-test runner
// need not guess the private cluster's port.
func TestDBURLPrintsTheDatabaseInUse(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://someone@db.example:5433/wangge")
	var out, errb bytes.Buffer
	if code := run(context.Background(), "dburl", nil, &out, &errb); code != 0 || strings.TrimSpace(out.String()) != "postgres://someone@db.example:5433/wangge" {
		t.Fatalf("exit %d, printed %q (%s)", code, out.String(), errb.String())
	}
}
