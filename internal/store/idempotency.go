package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// Reply is a write's answer as remembered for its idempotency key.
type Reply struct {
	Status int
	Body   []byte
}

const (
	idemLookupSQL = `SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND key = $2`
	idemStoreSQL  = `INSERT INTO idempotency_keys (user_id, key, request_hash, status, response) VALUES ($1, $2, $3, $4, $5)`
)

// Idempotent runs the write fn in one serializable transaction together with
// remembering its reply under (user, key). A retry with the same key and
// request gets the remembered reply without running fn; the same key with a
// different request is a conflict. With an empty key fn simply runs.
func (s *Store) Idempotent(ctx context.Context, userID int64, key string, request []byte,
	fn func(pgx.Tx) (Reply, error)) (Reply, error) {
	sum := sha256.Sum256(request)
	var out Reply
	err := s.Serializable(ctx, func(tx pgx.Tx) error {
		if key != "" {
			var hash []byte
			err := tx.QueryRow(ctx, idemLookupSQL, userID, key).Scan(&hash, &out.Status, &out.Body)
			if err == nil {
				if !bytes.Equal(hash, sum[:]) {
					return apperr.New(apperr.ErrConflict, "Idempotency-Key %q was used for a different request", key)
				}
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		r, err := fn(tx)
		if err != nil {
			return err
		}
		out = r
		if key == "" {
			return nil
		}
		_, err = tx.Exec(ctx, idemStoreSQL, userID, key, sum[:], r.Status, r.Body)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			// A concurrent twin committed first: make this attempt a retry.
			return &pgconn.PgError{Code: "40001", Message: "idempotency key raced"}
		}
		return err
	})
	if err != nil {
		return Reply{}, err
	}
	return out, nil
}
