package pglocal

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A private cluster of its own (not the shared test cluster): first Ensure
// initialises and starts it, a second reuses it, a stopped one is restarted,
// and PostGIS can be created in its database.
func TestEnsureIsIdempotentAndRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	dir := filepath.Join(t.TempDir(), "pgdata")
	c := Cluster{Dir: dir, Port: freePort(t), Database: "wangge_pglocal"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		_ = c.Stop(context.Background())
		if target, err := filepath.EvalSymlinks(dir); err == nil && target != dir {
			os.RemoveAll(target)
			os.Remove(target + ".lock")
		}
	})

	dsn, err := c.Ensure(ctx)
	if err != nil {
		t.Fatalf("first Ensure: %v", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var version string
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`); err != nil {
		t.Fatalf("create postgis: %v", err)
	}
	if err := conn.QueryRow(ctx, `SELECT postgis_lib_version()`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "3.") {
		t.Errorf("PostGIS %q, want 3.x", version)
	}
	var started time.Time
	if err := conn.QueryRow(ctx, `SELECT pg_postmaster_start_time()`).Scan(&started); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	again, err := c.Ensure(ctx)
	if err != nil || again != dsn {
		t.Fatalf("second Ensure: %q, %v", again, err)
	}
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var same time.Time
	if err := conn.QueryRow(ctx, `SELECT pg_postmaster_start_time()`).Scan(&same); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if !same.Equal(started) {
		t.Error("second Ensure restarted a running server")
	}

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ensure(ctx); err != nil {
		t.Fatalf("Ensure after stop: %v", err)
	}
	conn, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("not restarted: %v", err)
	}
	conn.Close(ctx)
}

// A port held by another program is reported at once, never waited on.
func TestPortTakenIsAClearError(t *testing.T) {
	if testing.Short() {
		t.Skip("initialises a PostgreSQL data directory")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := filepath.Join(t.TempDir(), "pgdata")
	c := Cluster{Dir: dir, Port: l.Addr().(*net.TCPAddr).Port, Database: "x"}
	t.Cleanup(func() {
		if target, err := filepath.EvalSymlinks(dir); err == nil && target != dir {
			os.RemoveAll(target)
			os.Remove(target + ".lock")
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = c.Ensure(ctx)
	if err == nil || !strings.Contains(err.Error(), "is taken") {
		t.Fatalf("err = %v, want a port-taken error", err)
	}
}

// TestMissingPackagesAreNamedNotInstalled: on a machine without PostGIS the
// cluster does not start and the error says what to install; the binary
// runs no package manager (it used to run sudo apt-get).
func TestMissingPackagesAreNamedNotInstalled(t *testing.T) {
	saved := postgisControl
	postgisControl = filepath.Join(t.TempDir(), "postgis.control")
	defer func() { postgisControl = saved }()
	dir := filepath.Join(t.TempDir(), "pgdata")
	_, err := Cluster{Dir: dir, Port: freePort(t), Database: "wangge"}.Ensure(context.Background())
	if err == nil || !strings.Contains(err.Error(), "scripts/deps postgresql-15 postgresql-15-postgis-3") {
		t.Fatalf("Ensure without PostGIS: %v, want the packages to install named", err)
	}
	if _, statErr := os.Stat(dir); statErr == nil {
		t.Errorf("Ensure without PostGIS created %s", dir)
	}
}
