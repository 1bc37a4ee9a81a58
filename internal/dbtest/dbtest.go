// Package dbtest gives tests their own real PostGIS database: a copy of a
// template migrated once per schema version, dropped when the test ends. The
// server is DATABASE_URL when set, else the private cluster brought up the
// same way `wangge serve` does it.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/config"
	"wangge/internal/migrate"
	"wangge/internal/store"
)

var (
	serverOnce sync.Once
	serverDSN  string
	serverErr  error
)

// ServerDSN is the maintenance database of the test server.
func ServerDSN(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		cfg, err := config.Load()
		if err != nil {
			serverErr = err
			return
		}
		if cfg.DatabaseURL != "" {
			serverDSN = cfg.DatabaseURL
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		serverDSN, serverErr = cfg.Cluster(func(f string, a ...any) { fmt.Fprintf(os.Stderr, "dbtest: "+f+"\n", a...) }).Ensure(ctx)
	})
	if serverErr != nil {
		t.Fatalf("dbtest: no PostgreSQL server: %v", serverErr)
	}
	return serverDSN
}

// WithDatabase returns dsn pointing at database name.
func WithDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

// New creates a fresh migrated database and returns a pool on it and its DSN.
// The database is dropped when the test ends.
func New(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := ServerDSN(t)
	tpl, err := template(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: template: %v", err)
	}
	name := "wangge_t_" + randomHex(6)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tpl}.Sanitize()); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	dsn := WithDatabase(admin, name)
	pool, err := store.OpenPool(ctx, dsn)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("dbtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("dbtest: drop %s: %v", name, err)
		}
	})
	return pool, dsn
}

var (
	tplMu   sync.Mutex
	tplName string
)

// template returns the name of a database migrated to this binary's schema,
// creating it once across all test processes (advisory lock).
func template(ctx context.Context, admin string) (string, error) {
	tplMu.Lock()
	defer tplMu.Unlock()
	if tplName != "" {
		return tplName, nil
	}
	ms, err := migrate.Load()
	if err != nil {
		return "", err
	}
	var sums []string
	for _, m := range ms {
		sums = append(sums, m.Checksum)
	}
	name := "wangge_tpl_" + shortHash(strings.Join(sums, ","))
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(7714)`); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(7714)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
		pool, err := store.OpenPool(ctx, WithDatabase(admin, name))
		if err != nil {
			return "", err
		}
		_, err = migrate.Up(ctx, pool)
		pool.Close()
		if err != nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize())
			return "", err
		}
	}
	tplName = name
	return name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
