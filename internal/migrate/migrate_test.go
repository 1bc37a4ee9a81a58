package migrate_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"wangge/internal/dbtest"
	"wangge/internal/migrate"
)

func TestUpIsIdempotentAndCurrent(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t) // already migrated from the template
	ctx := context.Background()
	n, err := migrate.Up(ctx, pool)
	if err != nil || n != 0 {
		t.Fatalf("second Up applied %d, err %v; want 0, nil", n, err)
	}
	if err := migrate.Current(ctx, pool); err != nil {
		t.Fatalf("Current: %v", err)
	}
	var versions int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	ms, _ := migrate.Load()
	if versions != len(ms) {
		t.Errorf("%d recorded versions, %d files", versions, len(ms))
	}
}

func TestConcurrentUpAppliesOnce(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	extra := []migrate.Migration{{Version: 900001, Name: "counter", Checksum: "x",
		SQL: `CREATE TABLE applied_once (n int); INSERT INTO applied_once VALUES (1);`}}
	var wg sync.WaitGroup
	total := make([]int, 4)
	errs := make([]error, 4)
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			total[i], errs[i] = migrate.Apply(ctx, pool, extra)
		}()
	}
	wg.Wait()
	sum := 0
	for i := range total {
		if errs[i] != nil {
			t.Fatalf("apply %d: %v", i, errs[i])
		}
		sum += total[i]
	}
	var rows int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM applied_once`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if sum != 1 || rows != 1 {
		t.Errorf("applied %d times, %d rows; want exactly once", sum, rows)
	}
}

func TestFailedMigrationChangesNothing(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	bad := []migrate.Migration{{Version: 900002, Name: "half", Checksum: "y",
		SQL: `CREATE TABLE half_done (n int); SELECT no_such_function();`}}
	if _, err := migrate.Apply(ctx, pool, bad); err == nil || !strings.Contains(err.Error(), "900002_half") {
		t.Fatalf("err = %v, want a failure naming the migration", err)
	}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('half_done') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	var recorded bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = 900002)`).Scan(&recorded); err != nil {
		t.Fatal(err)
	}
	if exists || recorded {
		t.Errorf("failed migration left table=%v recorded=%v", exists, recorded)
	}
}

func TestChangedMigrationIsRefused(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	ms, _ := migrate.Load()
	ms[0].Checksum = "tampered"
	if _, err := migrate.Apply(ctx, pool, ms); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("err = %v, want a changed-migration error", err)
	}
}

func TestLoadRejectsDuplicateVersions(t *testing.T) {
	fsys := fstest.MapFS{
		"000001_a.up.sql": {Data: []byte("SELECT 1")},
		"000001_b.up.sql": {Data: []byte("SELECT 2")},
	}
	if _, err := migrate.LoadFS(fsys); err == nil {
		t.Fatal("duplicate versions accepted")
	}
	fsys = fstest.MapFS{
		"000002_b.up.sql": {Data: []byte("SELECT 2")},
		"000001_a.up.sql": {Data: []byte("SELECT 1")},
		"notes.txt":       {Data: []byte("ignored")},
	}
	ms, err := migrate.LoadFS(fsys)
	if err != nil || len(ms) != 2 || ms[0].Version != 1 || ms[1].Name != "b" {
		t.Fatalf("load = %+v, %v", ms, err)
	}
}
