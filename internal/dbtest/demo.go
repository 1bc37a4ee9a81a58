package dbtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/demo"
)

// Demo returns a fresh database holding the demo district built with opt
// (seed 1, 72 grids and 3 days of patrols unless set).
func Demo(t testing.TB, opt demo.Options) (*pgxpool.Pool, string) {
	t.Helper()
	pool, dsn := New(t)
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.PatrolDays == 0 {
		opt.PatrolDays = 3
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := demo.Load(ctx, pool, opt); err != nil {
		t.Fatalf("dbtest: demo: %v", err)
	}
	return pool, dsn
}
