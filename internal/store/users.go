package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
	"wangge/internal/auth"
)

// User is an account as the login flow sees it.
type User struct {
	auth.Principal
	PasswordHash string
	Disabled     bool
	Failed       int
	LockedUntil  *time.Time
}

const userByNameSQL = `
SELECT id, username, role, coalesce(unit_code, ''), can_unmask, password_hash, disabled, failed_logins, locked_until
FROM users WHERE username = $1`

// UserByName returns the account, or ErrNotFound.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	err := s.pool.QueryRow(ctx, userByNameSQL, username).Scan(&u.UserID, &u.Username, &u.Role, &u.Unit,
		&u.CanUnmask, &u.PasswordHash, &u.Disabled, &u.Failed, &u.LockedUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, apperr.New(apperr.ErrNotFound, "no user %q", username)
	}
	if err != nil {
		return u, fmt.Errorf("store: user %s: %w", username, err)
	}
	return u, nil
}

// NewUser describes an account to create or update.
type NewUser struct {
	Username, Password, Role, Unit, DisplayName, Phone string
	CanUnmask                                          bool
}

const upsertUserSQL = `
INSERT INTO users (username, password_hash, role, unit_code, display_name, phone, can_unmask)
VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7)
ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
    unit_code = EXCLUDED.unit_code, display_name = EXCLUDED.display_name, phone = EXCLUDED.phone,
    can_unmask = EXCLUDED.can_unmask, disabled = false, failed_logins = 0, locked_until = NULL
RETURNING id`

// PutUser creates the account or resets an existing one of that name.
func (s *Store) PutUser(ctx context.Context, q Querier, u NewUser) (int64, error) {
	if !auth.ValidRole(u.Role) {
		return 0, apperr.New(apperr.ErrInvalid, "role %q: want one of admin, planner, officer, leader, auditor", u.Role)
	}
	hash, err := auth.HashPassword(u.Password)
	if err != nil {
		return 0, apperr.New(apperr.ErrInvalid, "%v", err)
	}
	var id int64
	err = q.QueryRow(ctx, upsertUserSQL, u.Username, hash, u.Role, u.Unit, u.DisplayName, u.Phone, u.CanUnmask).Scan(&id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23503":
			return 0, apperr.New(apperr.ErrInvalid, "unit %q does not exist", u.Unit)
		case "23514":
			return 0, apperr.New(apperr.ErrInvalid, "username %q: use 2–64 letters, digits, '_', '.' or '-'", u.Username)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store: put user %s: %w", u.Username, err)
	}
	return id, nil
}

const (
	loginFailedSQL = `
UPDATE users SET failed_logins = failed_logins + 1,
    locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + $3::interval ELSE locked_until END
WHERE id = $1 RETURNING failed_logins`
	loginOKSQL = `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1`
)

// LoginFailed counts a failed password and locks the account for lockFor
// after maxFailures in a row; it returns the count.
func (s *Store) LoginFailed(ctx context.Context, userID int64, maxFailures int, lockFor time.Duration) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, loginFailedSQL, userID, maxFailures, lockFor.String()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: login failed: %w", err)
	}
	return n, nil
}

// LoginSucceeded clears the failure count.
func (s *Store) LoginSucceeded(ctx context.Context, userID int64) error {
	if _, err := s.pool.Exec(ctx, loginOKSQL, userID); err != nil {
		return fmt.Errorf("store: login ok: %w", err)
	}
	return nil
}
