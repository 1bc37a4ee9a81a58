// Package migrate applies the numbered SQL files of the migrations package.
// Each file runs in its own transaction and is recorded in schema_migrations
// with its checksum; a session-level advisory lock keeps two starting servers
// from racing, and a second run applies nothing.
package migrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/jobs"
	"wangge/migrations"
)

// lockKey is the advisory lock id shared by every wangge process ("wangge" in ASCII).
const lockKey = 0x77616e676765

// Migration is one numbered SQL file.
type Migration struct {
	Version  int
	Name     string
	SQL      string
	Checksum string
}

var fileName = regexp.MustCompile(`^(\d{6})_([a-z0-9_]+)\.up\.sql$`)

// Load reads the embedded migrations in version order.
func Load() ([]Migration, error) {
	return load(migrations.FS)
}

func load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrate: version %d used by %s and %s", v, prev, e.Name())
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		sum := sha256.Sum256(body)
		out = append(out, Migration{Version: v, Name: m[2], SQL: string(body), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Latest is the highest embedded version.
func Latest() int {
	ms, err := Load()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

const createVersionTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)`

// Up applies every migration not yet recorded and returns how many it applied.
// A recorded migration whose file changed since is an error: the schema would
// no longer be what the files say.
func Up(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	ms, err := Load()
	if err != nil {
		return 0, err
	}
	n, err := apply(ctx, pool, ms)
	if err != nil {
		return n, err
	}
	return n, jobs.Migrate(ctx, pool)
}

func apply(ctx context.Context, pool *pgxpool.Pool, ms []Migration) (int, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(lockKey)); err != nil {
		return 0, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, int64(lockKey)) //nolint:errcheck // released with the session anyway
	if _, err := conn.Exec(ctx, createVersionTable); err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	applied, err := appliedChecksums(ctx, conn.Conn())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				return n, fmt.Errorf("migrate: %06d_%s was changed after it was applied", m.Version, m.Name)
			}
			continue
		}
		err := pgx.BeginFunc(ctx, conn.Conn(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
				m.Version, m.Name, m.Checksum)
			return err
		})
		if err != nil {
			return n, fmt.Errorf("migrate: %06d_%s: %w", m.Version, m.Name, err)
		}
		n++
	}
	return n, nil
}

func appliedChecksums(ctx context.Context, conn *pgx.Conn) (map[int]string, error) {
	rows, err := conn.Query(ctx, `SELECT version, checksum FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	out := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		out[v] = sum
	}
	return out, rows.Err()
}

// ErrBehind means the database lacks migrations this binary has.
var ErrBehind = errors.New("database schema is behind this binary")

// Current reports nil when every embedded migration is applied (used by /readyz).
func Current(ctx context.Context, pool *pgxpool.Pool) error {
	var v int
	err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if latest := Latest(); v < latest {
		return fmt.Errorf("%w: at %d, want %d", ErrBehind, v, latest)
	}
	return nil
}

// Pending lists the embedded migrations the database has not recorded, in
// order (all of them when schema_migrations does not exist yet); used by
// `wangge check` to name what an upgrade would apply.
func Pending(ctx context.Context, pool *pgxpool.Pool) ([]Migration, error) {
	ms, err := Load()
	if err != nil {
		return nil, err
	}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		return ms, nil
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	applied, err := appliedChecksums(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, m := range ms {
		if _, ok := applied[m.Version]; !ok {
			out = append(out, m)
		}
	}
	return out, nil
}
