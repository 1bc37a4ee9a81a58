package backup_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"wangge/internal/backup"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
)

// fingerprint summarises the data a restore must bring back exactly.
const fingerprintSQL = `
SELECT (SELECT md5(string_agg(code || version || ST_AsEWKT(geom), ',' ORDER BY code)) FROM units),
       (SELECT md5(string_agg(id || head_name || id_number || phone, ',' ORDER BY id)) FROM households),
       (SELECT count(*) FROM unit_versions), (SELECT count(*) FROM patrol_points),
       (SELECT count(*) FROM audit_log), (SELECT count(*) FROM incidents)`

func fingerprint(t *testing.T, ctx context.Context, dsn string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var units, households string
	var versions, points, audit, incidents int
	if err := conn.QueryRow(ctx, fingerprintSQL).Scan(&units, &households, &versions, &points, &audit, &incidents); err != nil {
		t.Fatal(err)
	}
	return strings.Join([]string{units, households, strconv.Itoa(versions), strconv.Itoa(points), strconv.Itoa(audit), strconv.Itoa(incidents)}, "/")
}

func TestDumpRestoreRoundTrip(t *testing.T) {
	pool, dsn := dbtest.Demo(t, demo.Options{Grids: 20, PatrolDays: 2, Password: "backup-test-pw"})
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO audit_log (username, action) VALUES ('test', 'marker')`); err != nil {
		t.Fatal(err)
	}
	before := fingerprint(t, ctx, dsn)
	file := filepath.Join(t.TempDir(), "wangge.dump")
	size, sum, err := backup.Dump(ctx, dsn, file)
	if err != nil {
		t.Fatal(err)
	}
	if size < 1000 || len(sum) != 64 {
		t.Fatalf("dump of %d bytes, sum %q", size, sum)
	}
	name := "wangge_restored_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))
	restored, err := backup.Restore(ctx, dsn, file, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	if after := fingerprint(t, ctx, restored); after != before {
		t.Errorf("restored data differs:\n before %s\n after  %s", before, after)
	}
	// The restored database keeps its rules: the audit log is still append-only.
	conn, err := pgx.Connect(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DELETE FROM audit_log`); err == nil {
		t.Error("restored audit log accepts DELETE")
	}
	// Restoring over an existing database is refused.
	if _, err := backup.Restore(ctx, dsn, file, name); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second restore into %s: %v", name, err)
	}
	if _, _, err := backup.Dump(ctx, dbtest.WithDatabase(dsn, "no_such_database"), filepath.Join(t.TempDir(), "x.dump")); err == nil {
		t.Error("dump of a missing database succeeded")
	}
}
