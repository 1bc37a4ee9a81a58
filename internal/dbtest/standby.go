package dbtest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"wangge/internal/migrate"
	"wangge/internal/pglocal"
	"wangge/internal/store"
)

// Standby starts a primary of the test's own (a fresh cluster on a free
// loopback port, database "wangge", migrated) and a hot standby of it
// (pglocal.Standby: pg_basebackup, streaming replication), both stopped
// and removed when the test ends. It returns their URLs.
func Standby(t testing.TB) (primaryDSN, standbyDSN string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	primary := pglocal.Cluster{Dir: filepath.Join(dir, "primary"), Port: freePort(t), Database: "wangge", Log: t.Logf}
	dsn, err := primary.Ensure(ctx)
	if err != nil {
		t.Fatalf("dbtest: primary: %v", err)
	}
	t.Cleanup(func() { removeCluster(primary) })
	pool, err := store.OpenPool(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = migrate.Up(ctx, pool)
	pool.Close()
	if err != nil {
		t.Fatalf("dbtest: migrate the primary: %v", err)
	}
	standby, err := primary.Standby(ctx, filepath.Join(dir, "standby"), freePort(t))
	if err != nil {
		t.Fatalf("dbtest: standby: %v", err)
	}
	t.Cleanup(func() { removeCluster(standby) })
	return dsn, standby.DSN("wangge")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// removeCluster stops a test's own cluster and removes its data wherever
// pglocal put it (a directory the postgres user can enter).
func removeCluster(c pglocal.Cluster) {
	_ = c.Stop(context.Background())
	if target, err := filepath.EvalSymlinks(c.Dir); err == nil {
		os.RemoveAll(target)
		os.Remove(target + ".lock")
	}
}
