package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/dbtest"
	"wangge/internal/store"
)

// TestContentionIsUnavailable: a serialization failure that outlasts
// Serializable's retries is Unavailable (503 with Retry-After), not an
// internal error: TestRestartUnderLoad saw an edit beside a household import
// answer 500 after five immediate retries.
func TestContentionIsUnavailable(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	calls := 0
	err := st.Serializable(context.Background(), func(tx pgx.Tx) error {
		calls++
		if _, err := tx.Exec(context.Background(), `SELECT 1`); err != nil {
			return err
		}
		return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	})
	if err == nil || !store.Unavailable(err) {
		t.Fatalf("after %d attempts: %v, want an Unavailable error", calls, err)
	}
	if calls < 2 {
		t.Errorf("%d attempts: a serialization failure is retried", calls)
	}
	// A cancelled request stops retrying.
	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	err = st.Serializable(ctx, func(tx pgx.Tx) error {
		calls++
		cancel()
		return &pgconn.PgError{Code: "40001"}
	})
	if calls != 1 || err == nil {
		t.Errorf("cancelled: %d attempts, err %v; want one attempt and the context's error", calls, err)
	}
	if store.Unavailable(&pgconn.PgError{Code: "23505"}) {
		t.Error("a unique violation is not unavailability")
	}
}
