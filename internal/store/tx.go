package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Serializable runs fn in one SERIALIZABLE transaction and retries it when
// PostgreSQL reports a serialization failure or deadlock, so two writers
// touching the same grids cannot both win with stale reads. Retries wait a
// random, growing pause (up to ~0.5 s in all): retried at once, the loser
// meets the same long transaction again (an edit beside a household import
// after an outage, when every client retries at the same moment). A
// conflict that outlasts the retries is Unavailable (503, Retry-After): the
// request was right, the moment was busy.
func (s *Store) Serializable(ctx context.Context, fn func(pgx.Tx) error) error {
	const attempts = 8
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			pause := time.Duration(rand.Int64N(int64(5*time.Millisecond) << i))
			select {
			case <-ctx.Done():
				return fmt.Errorf("store: serialization retry: %w", ctx.Err())
			case <-time.After(pause):
			}
		}
		err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
		if !retryable(err) {
			return err
		}
	}
	return fmt.Errorf("store: gave up after %d serialization failures: %w", attempts, err)
}

// InTx runs fn in one READ COMMITTED transaction.
func (s *Store) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// SetActor records who changes units in tx and why, for the unit_versions
// trigger (SET LOCAL: it ends with the transaction).
func (s *Store) SetActor(ctx context.Context, q Querier, user, reason string) error {
	_, err := q.Exec(ctx, `SELECT set_config('wangge.user', $1, true), set_config('wangge.reason', $2, true)`, user, reason)
	if err != nil {
		return fmt.Errorf("store: set actor: %w", err)
	}
	return nil
}

// DisableJIT turns PostgreSQL's JIT off for the rest of tx: the planner's
// cost estimates of PostGIS overlays always cross jit_above_cost, and
// compiling takes far longer than the queries of one edit.
func (s *Store) DisableJIT(ctx context.Context, q Querier) error {
	if _, err := q.Exec(ctx, `SELECT set_config('jit', 'off', true)`); err != nil {
		return fmt.Errorf("store: jit: %w", err)
	}
	return nil
}
