package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"wangge/internal/dbtest"
	"wangge/internal/media/s3test"
	"wangge/internal/migrate"
)

func runCheck(t *testing.T, dsn string) (int, string) {
	t.Helper()
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("WANGGE_LOG_LEVEL", "warn")
	var out, errb bytes.Buffer
	code := run(context.Background(), "check", []string{"--min-free-mb", "1"}, &out, &errb)
	return code, out.String() + errb.String()
}

func TestCheckPassesOnMigratedDatabase(t *testing.T) {
	_, dsn := dbtest.New(t)
	code, out := runCheck(t, dsn)
	if code != 0 {
		t.Fatalf("check exit %d:\n%s", code, out)
	}
	for _, name := range []string{"config", "database", "postgresql", "postgis", "pg_partman", "migrations", "disk"} {
		if !strings.Contains(out, "ok    "+name) {
			t.Errorf("no ok line for %s:\n%s", name, out)
		}
	}
}

// A fresh database on the same server, no CREATE EXTENSION: check fails at
// PostGIS (the server has it, this database does not) and goes no further.
func TestCheckFailsWithoutPostGIS(t *testing.T) {
	admin := dbtest.ServerDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := "wangge_t_nopostgis_" + strings.ReplaceAll(t.Name(), "/", "_")[len("TestCheck"):]
	name = strings.ToLower(name)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	})
	code, out := runCheck(t, dbtest.WithDatabase(admin, name))
	if code != 1 {
		t.Fatalf("check exit %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL  postgis") || !strings.Contains(out, "PostGIS is not installed in database "+name) {
		t.Errorf("failure does not name PostGIS:\n%s", out)
	}
	if strings.Contains(out, "migrations") {
		t.Errorf("check went past the first failure:\n%s", out)
	}
}

// The newest migration unrecorded, as after installing a newer binary:
// check names it and tells to migrate first.
func TestCheckFailsOnPendingMigration(t *testing.T) {
	pool, dsn := dbtest.New(t)
	ms, err := migrate.Load()
	if err != nil {
		t.Fatal(err)
	}
	last := ms[len(ms)-1]
	if _, err := pool.Exec(context.Background(), `DELETE FROM schema_migrations WHERE version = $1`, last.Version); err != nil {
		t.Fatal(err)
	}
	code, out := runCheck(t, dsn)
	if code != 1 {
		t.Fatalf("check exit %d, want 1:\n%s", code, out)
	}
	want := fmt.Sprintf("1 pending: %06d_%s", last.Version, last.Name)
	if !strings.Contains(out, "FAIL  migrations") || !strings.Contains(out, want) || !strings.Contains(out, "wangge migrate") {
		t.Errorf("failure does not name %s:\n%s", want, out)
	}
}

// DATABASE_READ_URL pointing at the primary itself is refused: it is no
// standby.
func TestCheckRefusesAReadURLThatIsNoStandby(t *testing.T) {
	_, dsn := dbtest.New(t)
	t.Setenv("DATABASE_READ_URL", dsn)
	code, out := runCheck(t, dsn)
	if code != 1 || !strings.Contains(out, "FAIL  replica") || !strings.Contains(out, "not a standby") {
		t.Fatalf("check exit %d, want 1 naming the replica:\n%s", code, out)
	}
}

// A real standby of the database passes, with its lag.
func TestCheckAcceptsAStandby(t *testing.T) {
	primary, standby := dbtest.Standby(t)
	t.Setenv("DATABASE_READ_URL", standby)
	code, out := runCheck(t, primary)
	if code != 0 || !strings.Contains(out, "ok    replica") || !strings.Contains(out, "standby of this database") {
		t.Fatalf("check exit %d, want 0 with the replica ok:\n%s", code, out)
	}
}

// With photos in an object store, check says whether the bucket is there.
func TestCheckReachesTheMediaBucket(t *testing.T) {
	_, dsn := dbtest.New(t)
	s3 := s3test.Start(t)
	t.Setenv("WANGGE_MEDIA_S3_ENDPOINT", s3.Config.Endpoint)
	t.Setenv("WANGGE_MEDIA_S3_ACCESS_KEY", s3.Config.AccessKey)
	t.Setenv("WANGGE_MEDIA_S3_SECRET_KEY", s3.Config.SecretKey)
	t.Setenv("WANGGE_MEDIA_S3_REGION", s3.Config.Region)
	t.Setenv("WANGGE_MEDIA_S3_USE_SSL", "false")
	t.Setenv("WANGGE_MEDIA_S3_BUCKET", s3.Config.Bucket)
	if code, out := runCheck(t, dsn); code != 0 || !strings.Contains(out, "ok    media") {
		t.Fatalf("check with the bucket: exit %d:\n%s", code, out)
	}
	t.Setenv("WANGGE_MEDIA_S3_BUCKET", "no-such-bucket")
	if code, out := runCheck(t, dsn); code == 0 || !strings.Contains(out, "FAIL  media") || !strings.Contains(out, "no-such-bucket does not exist") {
		t.Errorf("check with a missing bucket: exit %d:\n%s", code, out)
	}
	t.Setenv("WANGGE_MEDIA_S3_BUCKET", s3.Config.Bucket)
	// Keys the store does not accept (it checks every request's signature).
	for _, k := range []struct{ env, value string }{{"WANGGE_MEDIA_S3_SECRET_KEY", "not-the-secret"}, {"WANGGE_MEDIA_S3_ACCESS_KEY", "not-the-key"}} {
		t.Setenv("WANGGE_MEDIA_S3_ACCESS_KEY", s3.Config.AccessKey)
		t.Setenv("WANGGE_MEDIA_S3_SECRET_KEY", s3.Config.SecretKey)
		t.Setenv(k.env, k.value)
		if code, out := runCheck(t, dsn); code == 0 || !strings.Contains(out, "FAIL  media") || !strings.Contains(out, "refused bucket") {
			t.Errorf("check with a wrong %s: exit %d:\n%s", k.env, code, out)
		}
	}
	t.Setenv("WANGGE_MEDIA_S3_ACCESS_KEY", s3.Config.AccessKey)
	t.Setenv("WANGGE_MEDIA_S3_SECRET_KEY", "")
	if code, out := runCheck(t, dsn); code == 0 || !strings.Contains(out, "FAIL  config") || !strings.Contains(out, "_SECRET_KEY") {
		t.Errorf("check without the secret key: exit %d:\n%s", code, out)
	}
}
