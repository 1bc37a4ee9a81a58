// Package store is wangge's access to PostGIS: one concrete type over a pgx
// pool, SQL as named constants beside the functions that run it, parameters
// always.
package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenPool connects to dsn and registers PostGIS geometry as binary EWKB, so
// geometry columns scan into []byte and CopyFrom carries EWKB.
func OpenPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	cfg.AfterConnect = registerGeometry
	cfg.PrepareConn = tagRequest
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return pool, nil
}

type requestIDKey struct{}

// WithRequestID marks ctx as serving the request id: the connections its
// queries use carry application_name "wangge req=ID", so a slow query in
// pg_stat_activity or the server log (%a) leads to the request's log line.
func WithRequestID(ctx context.Context, id string) context.Context {
	if len(id) > 40 { // application_name keeps 63 bytes
		id = id[:40]
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// tagRequest sets application_name when it differs from what the server last
// reported for the connection (a ParameterStatus, so no round trip to ask):
// one round trip per request that touches the database, none for jobs.
func tagRequest(ctx context.Context, conn *pgx.Conn) (bool, error) {
	want := "wangge"
	if id, _ := ctx.Value(requestIDKey{}).(string); id != "" {
		want = "wangge req=" + id
	}
	if conn.PgConn().ParameterStatus("application_name") == want {
		return true, nil
	}
	if _, err := conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, want); err != nil {
		// The connection is unusable now: drop it. A cancelled request fails
		// with its context's error; otherwise the query retries on another.
		return false, ctx.Err()
	}
	return true, nil
}

// registerGeometry maps PostGIS geometry to a bytea codec. Before the postgis
// extension exists (a database about to be migrated) there is nothing to map.
func registerGeometry(ctx context.Context, conn *pgx.Conn) error {
	var oid *uint32
	if err := conn.QueryRow(ctx, `SELECT to_regtype('geometry')::oid`).Scan(&oid); err != nil {
		return fmt.Errorf("store: geometry type: %w", err)
	}
	if oid != nil {
		conn.TypeMap().RegisterType(&pgtype.Type{Name: "geometry", OID: *oid, Codec: pgtype.ByteaCodec{}})
	}
	return nil
}

// Store runs wangge's queries.
type Store struct {
	pool    *pgxpool.Pool
	primary *pgxpool.Pool // a replica store's primary (replica.go); nil: pool is the primary
}

// New wraps pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool exposes the pool for migrations and tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Querier is a pool or a transaction: every store function that may run
// inside a caller's transaction takes one, so the same query serves both.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = pgx.Tx(nil)
)
