package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/config"
	"wangge/internal/media"
	"wangge/internal/migrate"
)

// checkCmd: wangge check [--min-free-mb N] — the pre-start checks an operator
// (or systemd's ExecStartPre) runs: one line per check, and on the first
// failing class a message that says what to do. It never changes the database.
func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	minFree := fs.Int64("min-free-mb", 1024, "least free space (MiB) on the database's data directory")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	ok := func(name, f string, a ...any) { fmt.Fprintf(stdout, "ok    %-11s %s\n", name, fmt.Sprintf(f, a...)) }
	fail := func(name string, err error) error {
		fmt.Fprintf(stdout, "FAIL  %-11s %v\n", name, err)
		return fmt.Errorf("%s: %w", name, err)
	}

	cfg, err := config.Load()
	if err != nil {
		return fail("config", err)
	}
	ok("config", "environment parsed (listen %s)", cfg.Addr)

	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	dsn, err := cfg.DSN(cctx, func(string, ...any) {})
	if err != nil {
		return fail("database", err)
	}
	// A plain pool: store.OpenPool registers PostGIS types and would fail
	// on a database without PostGIS before we can say so.
	pool, err := pgxpool.New(cctx, dsn)
	if err == nil {
		err = pool.Ping(cctx)
	}
	if err != nil {
		return fail("database", fmt.Errorf("cannot reach the database: %w", err))
	}
	defer pool.Close()
	var db, version string
	var num int
	if err := pool.QueryRow(cctx, `SELECT current_database(), current_setting('server_version'), current_setting('server_version_num')::int`).
		Scan(&db, &version, &num); err != nil {
		return fail("database", err)
	}
	ok("database", "reached database %s", db)
	if num < 150000 {
		return fail("postgresql", fmt.Errorf("server is PostgreSQL %s; wangge needs 15 or later", version))
	}
	ok("postgresql", "version %s", version)

	for _, ext := range []struct{ name, label, pkg string }{
		{"postgis", "PostGIS", "postgresql-15-postgis-3"},
		{"pg_partman", "pg_partman", "postgresql-15-partman"},
	} {
		v, err := extensionVersion(cctx, pool, ext.name, ext.label, ext.pkg, db)
		if err != nil {
			return fail(strings.ToLower(ext.label), err)
		}
		if major, _, _ := strings.Cut(v, "."); ext.name == "postgis" {
			if n, _ := strconv.Atoi(major); n < 3 {
				return fail("postgis", fmt.Errorf("PostGIS %s is installed; wangge needs PostGIS 3 or later", v))
			}
		}
		ok(strings.ToLower(ext.label), "version %s", v)
	}

	pending, err := migrate.Pending(cctx, pool)
	if err != nil {
		return fail("migrations", err)
	}
	if len(pending) > 0 {
		names := make([]string, len(pending))
		for i, m := range pending {
			names[i] = fmt.Sprintf("%06d_%s", m.Version, m.Name)
		}
		return fail("migrations", fmt.Errorf("%d pending: %s (run `wangge migrate` first)", len(pending), strings.Join(names, ", ")))
	}
	ok("migrations", "schema at version %d", migrate.Latest())
	if cfg.ReadURL != "" {
		lag, err := checkReplica(cctx, pool, cfg.ReadURL)
		if err != nil {
			return fail("replica", err)
		}
		ok("replica", "DATABASE_READ_URL is a standby of this database, %s behind", lag)
	}

	if cfg.MediaS3.Endpoint != "" {
		b, err := media.OpenBucket(cfg.MediaS3)
		if err == nil {
			err = b.Check(cctx)
		}
		if err != nil {
			return fail("media", err)
		}
		ok("media", "photos in bucket %s at %s", cfg.MediaS3.Bucket, cfg.MediaS3.Endpoint)
	}

	dir := cfg.PGDataDir
	if cfg.DatabaseURL != "" {
		// Readable by superusers and pg_read_all_settings only; on a remote
		// server the path is not ours to measure.
		dir = ""
		_ = pool.QueryRow(cctx, `SELECT current_setting('data_directory')`).Scan(&dir)
	}
	if dir == "" {
		ok("disk", "data directory not visible to this role; not measured")
		return nil
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		ok("disk", "data directory %s is not on this machine; not measured", dir)
		return nil
	}
	free, err := freeBytes(dir)
	if err != nil {
		return fail("disk", err)
	}
	if free < *minFree<<20 {
		return fail("disk", fmt.Errorf("%s has %d MiB free, less than --min-free-mb %d", dir, free>>20, *minFree))
	}
	ok("disk", "%s: %d MiB free", dir, free>>20)
	return nil
}

// checkReplica says whether readURL is a hot standby of the primary's own
// cluster (same system identifier), and how far its replay lags.
func checkReplica(ctx context.Context, primary *pgxpool.Pool, readURL string) (string, error) {
	rpool, err := pgxpool.New(ctx, readURL)
	if err == nil {
		err = rpool.Ping(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("cannot reach DATABASE_READ_URL: %w", err)
	}
	defer rpool.Close()
	var standby bool
	var lag string
	if err := rpool.QueryRow(ctx, `SELECT pg_is_in_recovery(), coalesce((now() - pg_last_xact_replay_timestamp())::text, 'nothing replayed yet')`).
		Scan(&standby, &lag); err != nil {
		return "", err
	}
	if !standby {
		return "", fmt.Errorf("DATABASE_READ_URL is not a standby (pg_is_in_recovery() is false): point it at a streaming replica of DATABASE_URL")
	}
	// The system identifier needs pg_read_all_stats or superuser; without it
	// the cluster's identity is not compared.
	var p, r int64
	if primary.QueryRow(ctx, `SELECT system_identifier FROM pg_control_system()`).Scan(&p) == nil &&
		rpool.QueryRow(ctx, `SELECT system_identifier FROM pg_control_system()`).Scan(&r) == nil && p != r {
		return "", fmt.Errorf("DATABASE_READ_URL is a standby of another cluster (system identifier %d, the primary's is %d)", r, p)
	}
	return lag, nil
}

// extensionVersion is the installed version of ext in this database, or an
// error that says whether the server has it at all (a missing package) or it
// is only not created here yet (a migration to run).
func extensionVersion(ctx context.Context, pool *pgxpool.Pool, ext, label, pkg, db string) (string, error) {
	var installed, available *string
	err := pool.QueryRow(ctx, `SELECT (SELECT extversion FROM pg_extension WHERE extname = $1),
	                                  (SELECT default_version FROM pg_available_extensions WHERE name = $1)`, ext).
		Scan(&installed, &available)
	if err != nil {
		return "", err
	}
	switch {
	case installed != nil:
		return *installed, nil
	case available == nil:
		return "", fmt.Errorf("%s is not available on the database server (install the Debian package %s there)", label, pkg)
	default:
		return "", fmt.Errorf("%s is not installed in database %s (the server has %s; `wangge migrate` creates it, as a superuser)", label, db, *available)
	}
}

func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return int64(st.Bavail) * st.Bsize, nil
}
