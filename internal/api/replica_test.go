package api_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/api"
	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

// A primary and a hot standby of its own on loopback (pg_basebackup), and
// two instances: A reads from the primary, B from the standby; both listen
// for change events on the primary. An edit through A reaches B's lookups
// and OGC answers (bounded staleness: the event, then the standby's replay);
// an edit through B is in B's very next read (read-your-writes: the answer
// waits for the replay). With replay paused, the standby is behind and B
// says so instead of pretending; resumed, it catches up.
func TestReadsOnAStandby(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dsn, standbyDSN := dbtest.Standby(t)
	pool, err := store.OpenPool(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	// Loaded after the base backup: the standby receives it by streaming.
	if _, err := demo.Load(ctx, pool, demo.Options{Grids: 12, PatrolDays: -1, Seed: 1, Password: demoPassword}); err != nil {
		t.Fatal(err)
	}
	rpool, err := store.OpenPool(ctx, standbyDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer rpool.Close()
	var inRecovery bool
	if err := rpool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("the standby is not in recovery: %v %v", inRecovery, err)
	}
	if err := store.New(pool).Replica(rpool).CaughtUp(ctx); err != nil {
		t.Fatal(err)
	}

	st := store.New(pool)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	instance := func(read *store.Store) string {
		hub := &changes.Hub{}
		ready := make(chan struct{})
		wg.Add(1)
		go func() { defer wg.Done(); hub.Listen(ctx, dsn, quiet, ready) }()
		<-ready
		srv := httptest.NewServer(api.New(api.Options{Store: st, Read: read, Changes: hub, Static: static.FS, Logger: quiet}).Handler())
		t.Cleanup(srv.Close)
		return srv.URL
	}
	a, b := instance(st), instance(st.Replica(rpool))
	ta, tb := loginAs(t, a, "admin"), loginAs(t, b, "admin")

	var grid string
	var p orb.Point
	if err := pool.QueryRow(ctx, `SELECT code, ST_X(p), ST_Y(p) FROM (
		SELECT code, ST_PointOnSurface(geom) p FROM units WHERE level = 4 ORDER BY code LIMIT 1) x`).Scan(&grid, &p[0], &p[1]); err != nil {
		t.Fatal(err)
	}
	rename := func(base, token, name string) {
		t.Helper()
		resp, body := do(t, "PATCH", base+"/api/units/"+grid, token, `{"name":"`+name+`","reason":"replica test"}`)
		if resp.StatusCode != 200 {
			t.Fatalf("rename through %s: %d %s", base, resp.StatusCode, body)
		}
	}
	// What B reads: its lookup (memory, refreshed from the standby) and an
	// OGC item (a query on the standby).
	names := func() (lookup, ogc string) {
		t.Helper()
		lookup = locateGet(t, b, tb, p[0], p[1], "wgs84").GridName
		resp, body := do(t, "GET", b+"/ogc/collections/grids/items/"+grid, tb, "")
		var f struct{ Properties struct{ Name string } }
		if resp.StatusCode != 200 || json.Unmarshal(body, &f) != nil {
			t.Fatalf("OGC item through B: %d %s", resp.StatusCode, body)
		}
		return lookup, f.Properties.Name
	}

	// Written through A: B follows once the event and the replay arrive.
	rename(a, ta, "甲网格")
	for {
		l, o := names()
		if l == "甲网格" && o == "甲网格" {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("B never saw A's rename: lookup %q, OGC %q", l, o)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Written through B: its next reads already show it, no waiting.
	rename(b, tb, "乙网格")
	if l, o := names(); l != "乙网格" || o != "乙网格" {
		t.Fatalf("B's own rename not in its next read: lookup %q, OGC %q", l, o)
	}

	// Replay paused: the standby is behind the primary and CaughtUp says so
	// (B's answer went after the bounded wait); resumed, it catches up.
	if _, err := rpool.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	rename(b, tb, "丙网格")
	if _, o := names(); o != "乙网格" {
		t.Errorf("OGC through B with replay paused: %q, want the replayed 乙网格", o)
	}
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	if err := st.Replica(rpool).CaughtUp(short); err == nil {
		t.Error("CaughtUp returned with replay paused")
	}
	stop()
	if _, err := rpool.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	if err := st.Replica(rpool).CaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, o := names(); o != "丙网格" {
		t.Errorf("OGC through B after the replay resumed: %q, want 丙网格", o)
	}
}
