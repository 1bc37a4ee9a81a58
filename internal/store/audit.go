package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	UserID     *int64          `json:"user_id"`
	Username   string          `json:"username"`
	Role       string          `json:"role"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Reason     string          `json:"reason,omitempty"`
	ClientIP   string          `json:"client_ip"`
	RequestID  string          `json:"request_id"`
	Details    json.RawMessage `json:"details"`
}

const insertAuditSQL = `
INSERT INTO audit_log (user_id, username, role, action, object_type, object_id, reason, client_ip, request_id, details)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10::jsonb, '{}'))`

// Audit appends e; pass the write's transaction so the log and the change
// commit together (or neither does).
func (s *Store) Audit(ctx context.Context, q Querier, e AuditEntry) error {
	if q == nil {
		q = s.pool
	}
	var details any
	if len(e.Details) > 0 {
		details = string(e.Details)
	}
	_, err := q.Exec(ctx, insertAuditSQL, e.UserID, e.Username, e.Role, e.Action, e.ObjectType, e.ObjectID,
		e.Reason, e.ClientIP, e.RequestID, details)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditMany appends es in one statement (a batch's lines: one round trip,
// not one a report), in q's transaction.
func (s *Store) AuditMany(ctx context.Context, q Querier, es []AuditEntry) error {
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	users := make([]*int64, n)
	cols := make([][]string, 9)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	for i, e := range es {
		users[i] = e.UserID
		details := "{}"
		if len(e.Details) > 0 {
			details = string(e.Details)
		}
		for j, v := range []string{e.Username, e.Role, e.Action, e.ObjectType, e.ObjectID, e.Reason, e.ClientIP, e.RequestID, details} {
			cols[j][i] = v
		}
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_log (user_id, username, role, action, object_type, object_id, reason, client_ip, request_id, details)
        SELECT u, un, r, a, ot, oi, re, ip, rq, d::jsonb
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
             AS x(u, un, r, a, ot, oi, re, ip, rq, d)`,
		users, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8])
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	Username string
	Action   string
	From, To *time.Time
	BeforeID int64 // paging cursor: entries with smaller ids
	Limit    int
}

const listAuditSQL = `
SELECT id, at, user_id, username, role, action, object_type, object_id, reason, client_ip, request_id, details
FROM audit_log
WHERE ($1 = '' OR username = $1) AND ($2 = '' OR action = $2)
  AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
  AND ($5 = 0 OR id < $5)
ORDER BY id DESC LIMIT $6`

// AuditLog lists entries matching f.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	rows, err := s.pool.Query(ctx, listAuditSQL, f.Username, f.Action, f.From, f.To, f.BeforeID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AuditEntry])
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return out, nil
}
