package changes_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"wangge/internal/changes"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

// A committed edit reaches the listener with its code and both boxes; a
// rolled-back one never does.
func TestUnitEditsAreAnnounced(t *testing.T) {
	pool, dsn := dbtest.Demo(t, demo.Options{PatrolDays: 0, Grids: 20})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hub changes.Hub
	got := make(chan changes.Event, 100)
	hub.Subscribe(func(e changes.Event) { got <- e })
	ready := make(chan struct{})
	go hub.Listen(ctx, dsn, slog.New(slog.NewTextHandler(io.Discard, nil)), ready)
	<-ready

	var code string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 4 ORDER BY code LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE units SET name = name || '（撤销）' WHERE code = $1`, code); err != nil {
		t.Fatal(err)
	}
	_ = tx.Rollback(ctx)
	if _, err := pool.Exec(ctx, `UPDATE units SET name = name || '（改）' WHERE code = $1`, code); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Code != code || e.Op != "update" || e.Level != 4 || e.OldBBox == nil || e.NewBBox == nil {
			t.Errorf("event %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10 s")
	}
	select {
	case e := <-got:
		t.Errorf("unexpected second event %+v (the rolled-back edit?)", e)
	case <-time.After(300 * time.Millisecond):
	}
}
