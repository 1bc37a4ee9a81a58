package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/auth"
)

const (
	createSessionSQL = `INSERT INTO sessions (token_hash, user_id, expires_at, client_ip) VALUES ($1, $2, $3, $4)`
	sessionSQL       = `
SELECT u.id, u.username, u.role, coalesce(u.unit_code, ''), u.can_unmask
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled`
	revokeSessionSQL = `UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`
	revokeUserSQL    = `UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`
)

// CreateSession stores a new session token's hash.
func (s *Store) CreateSession(ctx context.Context, userID int64, tokenHash []byte, expires time.Time, ip string) error {
	if _, err := s.pool.Exec(ctx, createSessionSQL, tokenHash, userID, expires, ip); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session returns the principal of a live session, or ErrUnauthorized.
func (s *Store) Session(ctx context.Context, tokenHash []byte) (auth.Principal, error) {
	var p auth.Principal
	err := s.pool.QueryRow(ctx, sessionSQL, tokenHash).Scan(&p.UserID, &p.Username, &p.Role, &p.Unit, &p.CanUnmask)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.ErrUnauthorized, "session expired or revoked: log in again")
	}
	if err != nil {
		return p, fmt.Errorf("store: session: %w", err)
	}
	return p, nil
}

// RevokeSession ends one session.
func (s *Store) RevokeSession(ctx context.Context, tokenHash []byte) error {
	if _, err := s.pool.Exec(ctx, revokeSessionSQL, tokenHash); err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return nil
}
