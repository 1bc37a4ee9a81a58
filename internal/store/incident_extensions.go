package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// ExtensionRequest is a request for more time on a case (延期申请).
type ExtensionRequest struct {
	ID            int64      `json:"id"`
	IncidentSeq   int64      `json:"-"`
	IncidentID    string     `json:"incident_id"`
	Title         string     `json:"title"`
	UnitCode      string     `json:"unit_code"`
	Hours         int        `json:"hours"`
	Reason        string     `json:"reason"`
	Status        string     `json:"status"`
	RequestedBy   *int64     `json:"requested_by"`
	RequestedName string     `json:"requested_name"`
	RequestedAt   time.Time  `json:"requested_at"`
	DecidedName   string     `json:"decided_name"`
	DecidedAt     *time.Time `json:"decided_at"`
	DecisionNote  string     `json:"decision_note"`
	CaseState     string     `json:"case_state"`
	CaseLevel     int        `json:"case_level"`
	CaseType      string     `json:"case_type"`
	Category      string     `json:"category"`
	CanDecide     bool       `json:"can_decide"` // filled by the caller for the asking user
}

const extensionCols = `r.id, r.incident_id, coalesce(i.client_id::text, ''), i.title, r.unit_code, r.hours, r.reason, r.status,
    r.requested_by, r.requested_name, r.requested_at, r.decided_name, r.decided_at, r.decision_note,
    i.status, i.level::int, i.type, i.category, false`

const insertExtensionSQL = `
INSERT INTO incident_extension_requests (incident_id, region_code, unit_code, hours, reason, requested_by, requested_name, requested_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`

// AddExtensionRequest stores a pending request; a case with one pending
// already is a conflict.
func (s *Store) AddExtensionRequest(ctx context.Context, q Querier, r ExtensionRequest, region string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, insertExtensionSQL, r.IncidentSeq, region, r.UnitCode, r.Hours, r.Reason, r.RequestedBy,
		r.RequestedName, r.RequestedAt).Scan(&id)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return 0, apperr.New(apperr.ErrConflict, "the case already has a pending extension request")
	}
	if err != nil {
		return 0, fmt.Errorf("store: extension request: %w", err)
	}
	return id, nil
}

// ExtensionRequest returns request id; lock takes a row lock for q's transaction.
func (s *Store) ExtensionRequest(ctx context.Context, q Querier, id int64, lock bool) (ExtensionRequest, error) {
	if q == nil {
		q = s.pool
	}
	sql := `SELECT ` + extensionCols + ` FROM incident_extension_requests r JOIN incidents i ON i.id = r.incident_id WHERE r.id = $1`
	if lock {
		sql += ` FOR UPDATE OF r`
	}
	rows, err := q.Query(ctx, sql, id)
	if err != nil {
		return ExtensionRequest{}, fmt.Errorf("store: extension request %d: %w", id, err)
	}
	r, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[ExtensionRequest])
	if errors.Is(err, pgx.ErrNoRows) {
		return r, apperr.New(apperr.ErrNotFound, "no extension request %d", id)
	}
	if err != nil {
		return r, fmt.Errorf("store: extension request %d: %w", id, err)
	}
	return r, nil
}

// DecideExtensionRequest settles a pending request as approved or rejected.
func (s *Store) DecideExtensionRequest(ctx context.Context, q Querier, id int64, status string, by *int64, name, note string, at time.Time) error {
	tag, err := q.Exec(ctx, `UPDATE incident_extension_requests SET status = $2, decided_by = $3, decided_name = $4,
        decision_note = $5, decided_at = $6 WHERE id = $1 AND status = 'pending'`, id, status, by, name, note, at)
	if err != nil {
		return fmt.Errorf("store: decide extension request %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.New(apperr.ErrConflict, "extension request %d was already decided", id)
	}
	return nil
}

const listExtensionsSQL = `
SELECT ` + extensionCols + ` FROM incident_extension_requests r JOIN incidents i ON i.id = r.incident_id
WHERE ($1 = '' OR r.unit_code LIKE $1 || '%' OR r.requested_by = $2) AND ($3 = '' OR r.status = $3)
ORDER BY r.requested_at, r.id LIMIT $4`

// ExtensionRequests lists requests under a unit prefix (or asked by user),
// oldest first, optionally of one status.
func (s *Store) ExtensionRequests(ctx context.Context, prefix string, user int64, status string, limit int) ([]ExtensionRequest, error) {
	rows, err := s.pool.Query(ctx, listExtensionsSQL, prefix, user, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: extension requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ExtensionRequest])
	if err != nil {
		return nil, fmt.Errorf("store: extension requests: %w", err)
	}
	return out, nil
}
