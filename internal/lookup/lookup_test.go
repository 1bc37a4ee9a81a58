package lookup_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/lookup"
	"wangge/internal/store"
)

// Every kind of unit change reaches the in-memory lookup through NOTIFY, and
// Sync returns only once it has:
// a grid's geometry (upsert), a community's name (chains), a deleted grid,
// a new grid, and a Reload. Readers run throughout (for -race).
func TestEventsKeepTheLookupCurrent(t *testing.T) {
	t.Parallel()
	pool, dsn := dbtest.Demo(t, demo.Options{Grids: 30, PatrolDays: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var hub changes.Hub
	svc := lookup.New(store.New(pool), quiet)
	svc.Subscribe(&hub)
	ready := make(chan struct{})
	listenCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); hub.Listen(listenCtx, dsn, quiet, ready) }()
	defer func() { stop(); wg.Wait() }()
	<-ready
	if err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}

	var grid string
	var p, q orb.Point // p inside the grid; q inside it too, away from p
	if err := pool.QueryRow(ctx, `
		SELECT code, ST_X(a), ST_Y(a), ST_X(b), ST_Y(b) FROM (
		    SELECT code, a, ST_PointOnSurface(ST_Difference(geom, ST_Buffer(a, 0.0006))) AS b FROM (
		        SELECT code, geom, ST_PointOnSurface(geom) AS a
		        FROM units WHERE level = 4 AND kind = 'basic' ORDER BY code LIMIT 1) y) x`).
		Scan(&grid, &p[0], &p[1], &q[0], &q[1]); err != nil {
		t.Fatal(err)
	}
	// A reader hammering the service while it changes.
	var reads atomic.Int64
	readCtx, stopReads := context.WithCancel(ctx)
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		for readCtx.Err() == nil {
			if _, err := svc.Locate(readCtx, p); err == nil {
				reads.Add(1)
			}
		}
	}()
	defer func() { stopReads(); rwg.Wait() }()

	locate := func(pt orb.Point) lookup.Answer {
		t.Helper()
		a, err := svc.Locate(ctx, pt)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	// Each change is followed by Sync, as a writer's answer is: the next
	// lookup must already see it.
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
		if err := svc.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}

	a := locate(p)
	if !a.Found || a.GridCode != grid || len(a.Chain) != 4 || a.Chain[3].Code != grid || a.Chain[0].Level != "district" {
		t.Fatalf("before: %+v", a)
	}
	roles := map[string]bool{}
	for _, s := range a.Staff {
		roles[s.Role] = s.Phone != ""
	}
	if !roles["grid_leader"] || !roles["grid_worker"] || !roles["informant"] {
		t.Errorf("staff card %+v", a.Staff)
	}

	// A new phone on the staff card (公示牌) shows without any unit edit.
	exec(`UPDATE grid_staff SET phone = '13912345678' WHERE unit_code = $1 AND role = 'grid_worker'`, grid)
	phones := map[string]string{}
	for _, s := range locate(p).Staff {
		phones[s.Role] = s.Phone
	}
	if phones["grid_worker"] != "13912345678" {
		t.Fatalf("staff card after the phone change: %+v", phones)
	}

	// Cut a 20 m hole around p: p is now in no grid, the grid is nearest.
	exec(`UPDATE units SET geom = ST_Multi(ST_Difference(geom, ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326), 0.0002)))
	      WHERE code = $1`, grid, p[0], p[1])
	if a := locate(p); a.Found || a.NearestCode != grid || a.NearestDistanceM < 15 || a.NearestDistanceM > 25 {
		t.Fatalf("after the hole: %+v", a)
	}
	if a := locate(q); a.GridCode != grid {
		t.Fatalf("rest of the grid: %+v", a)
	}

	// Renaming the community shows in the chain of its grids.
	exec(`UPDATE units SET name = '改名社区' WHERE code = $1`, grid[:12])
	if a := locate(q); a.Chain[2].Name != "改名社区" || a.Chain[2].Code != grid[:12] {
		t.Fatalf("chain after rename: %+v", a.Chain)
	}

	// Deleting the grid removes it; a new grid over the same area takes over.
	exec(`DELETE FROM units WHERE code = $1`, grid)
	if a := locate(q); a.Found {
		t.Fatalf("deleted grid still answers: %+v", a)
	}
	newCode := grid[:12] + "999"
	exec(`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
	      SELECT $1, $2, 4, '新网格', 'basic', left($1, 6), geom FROM unit_versions
	      WHERE code = $3 ORDER BY version DESC LIMIT 1`, newCode, grid[:12], grid)
	if a := locate(q); a.GridCode != newCode || a.GridName != "新网格" || a.Chain[2].Name != "改名社区" || len(a.Staff) != 0 {
		t.Fatalf("new grid: %+v", a)
	}

	// A Reload (after a listener reconnect) rebuilds everything, same answers.
	v := svc.Version()
	hub.Publish(changes.Event{Reload: true})
	if err := svc.WaitVersion(ctx, v+1); err != nil {
		t.Fatal(err)
	}
	if a := locate(q); a.GridCode != newCode {
		t.Fatalf("after reload: %+v", a)
	}
	if reads.Load() == 0 {
		t.Error("the concurrent reader never got an answer")
	}
}

// A service that was never loaded loads on its first query; WaitVersion
// honours its context.
func TestLazyLoadAndWaitTimeout(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1})
	svc := lookup.New(store.New(pool), quiet)
	if svc.Len() != 0 {
		t.Fatal("loaded before use")
	}
	var c orb.Point
	if err := pool.QueryRow(context.Background(),
		`SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM units WHERE level = 4 ORDER BY code LIMIT 1) x`).Scan(&c[0], &c[1]); err != nil {
		t.Fatal(err)
	}
	a, err := svc.Locate(context.Background(), c)
	if err != nil || !a.Found || svc.Len() < 5 {
		t.Fatalf("first query: %+v %v (len %d)", a, err, svc.Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := svc.WaitVersion(ctx, svc.Version()+1); err == nil {
		t.Error("WaitVersion returned without an event")
	}
}
