package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// System is a connected system (migration 000132): it reads the change
// feed with its key and may have changes pushed to its webhook.
type System struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Unit        string     `json:"unit_code"`
	Types       []string   `json:"types"`
	WebhookURL  *string    `json:"webhook_url"`
	Cursor      string     `json:"cursor"` // the last change the webhook acknowledged
	Failures    int        `json:"failures"`
	NextAttempt time.Time  `json:"next_attempt_at"`
	LastError   *string    `json:"last_error"`
	DeliveredAt *time.Time `json:"delivered_at"`
	Delivered   int64      `json:"delivered"`
	CreatedBy   int64      `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at"`

	secret string // the webhook's signing secret, for delivery only
}

// Secret is the webhook's signing secret (never in JSON).
func (s System) Secret() string { return s.secret }

// CursorPos is the acknowledged position as a ChangeCursor.
func (s System) CursorPos() ChangeCursor {
	c, _ := ParseChangeCursor(s.Cursor)
	return c
}

const systemCols = `id, name, unit_code, types, webhook_url, cursor_xid::text || '.' || cursor_seq, failures, next_attempt_at,
    last_error, delivered_at, delivered, created_by, created_at, revoked_at, coalesce(webhook_secret, '')`

func scanSystem(r pgx.Row) (System, error) {
	var s System
	err := r.Scan(&s.ID, &s.Name, &s.Unit, &s.Types, &s.WebhookURL, &s.Cursor, &s.Failures, &s.NextAttempt,
		&s.LastError, &s.DeliveredAt, &s.Delivered, &s.CreatedBy, &s.CreatedAt, &s.RevokedAt, &s.secret)
	return s, err
}

// NewSystem is what CreateSystem stores.
type NewSystem struct {
	Name, Unit    string
	Types         []string
	KeyHash       []byte
	WebhookURL    string // "" none
	WebhookSecret string
	CreatedBy     int64
}

// CreateSystem stores a new system. Its webhook starts at the feed's
// present end: it gets what changes from now on, not the whole history.
func (s *Store) CreateSystem(ctx context.Context, q Querier, n NewSystem) (System, error) {
	var url, secret *string
	if n.WebhookURL != "" {
		url, secret = &n.WebhookURL, &n.WebhookSecret
	}
	sys, err := scanSystem(q.QueryRow(ctx, `
INSERT INTO systems (name, unit_code, types, key_hash, webhook_url, webhook_secret, created_by, cursor_xid, cursor_seq)
SELECT $1, $2, $3, $4, $5, $6, $7, coalesce(max(xid), '0'), coalesce(max(seq), 0)
FROM (SELECT xid, seq FROM change_feed ORDER BY xid DESC, seq DESC LIMIT 1) last
RETURNING `+systemCols, n.Name, n.Unit, n.Types, n.KeyHash, url, secret, n.CreatedBy))
	if err != nil {
		return sys, fmt.Errorf("store: create system: %w", err)
	}
	return sys, nil
}

// Systems lists the systems issued under prefix ("" every one), revoked
// ones included.
func (s *Store) Systems(ctx context.Context, prefix string) ([]System, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+systemCols+` FROM systems
        WHERE unit_code ~>=~ $1 AND unit_code ~<~ ($1 || ':') ORDER BY id`, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: systems: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (System, error) { return scanSystem(r) })
	if err != nil {
		return nil, fmt.Errorf("store: systems: %w", err)
	}
	return out, nil
}

// RevokeSystem revokes live system id if its unit is under prefix and
// returns its key hash (for caches); ErrNotFound otherwise.
func (s *Store) RevokeSystem(ctx context.Context, q Querier, id int64, prefix string) ([]byte, error) {
	var hash []byte
	err := q.QueryRow(ctx, `UPDATE systems SET revoked_at = now()
        WHERE id = $1 AND revoked_at IS NULL AND unit_code ~>=~ $2 AND unit_code ~<~ ($2 || ':') RETURNING key_hash`, id, prefix).Scan(&hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no live system %d in your units", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: revoke system: %w", err)
	}
	return hash, nil
}

// SystemByKey returns the live system with this key hash, or ErrUnauthorized.
func (s *Store) SystemByKey(ctx context.Context, keyHash []byte) (System, error) {
	sys, err := scanSystem(s.pool.QueryRow(ctx, `SELECT `+systemCols+` FROM systems
        WHERE key_hash = $1 AND revoked_at IS NULL`, keyHash))
	if errors.Is(err, pgx.ErrNoRows) {
		return sys, apperr.New(apperr.ErrUnauthorized, "system key unknown or revoked")
	}
	if err != nil {
		return sys, fmt.Errorf("store: system key: %w", err)
	}
	return sys, nil
}

// DueWebhooks are the live systems with a webhook whose next attempt is due.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]System, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+systemCols+` FROM systems
        WHERE webhook_url IS NOT NULL AND revoked_at IS NULL AND next_attempt_at <= $1
        ORDER BY next_attempt_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (System, error) { return scanSystem(r) })
	if err != nil {
		return nil, fmt.Errorf("store: due webhooks: %w", err)
	}
	return out, nil
}

// WebhookDelivered moves system id's cursor to cur after the receiver
// acknowledged n changes, and clears its failures. It only moves forwards.
func (s *Store) WebhookDelivered(ctx context.Context, id int64, cur ChangeCursor, n int, now time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE systems SET cursor_xid = $2::text::xid8, cursor_seq = $3, delivered = delivered + $4,
        delivered_at = $5, failures = 0, last_error = NULL, next_attempt_at = $5
        WHERE id = $1 AND (cursor_xid, cursor_seq) < ($2::text::xid8, $3)`, id, strconv.FormatUint(cur.XID, 10), cur.Seq, n, now)
	if err != nil {
		return fmt.Errorf("store: webhook delivered: %w", err)
	}
	return nil
}

// WebhookFailed records a failed delivery and when to try again.
func (s *Store) WebhookFailed(ctx context.Context, id int64, msg string, next time.Time) error {
	// A receiver's answer is any bytes: valid UTF-8 without NUL, 500 at most.
	msg = strings.ToValidUTF8(strings.ReplaceAll(msg, "\x00", ""), "")
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	_, err := s.pool.Exec(ctx, `UPDATE systems SET failures = failures + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1`,
		id, msg, next)
	if err != nil {
		return fmt.Errorf("store: webhook failed: %w", err)
	}
	return nil
}
