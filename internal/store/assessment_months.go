package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AssessmentMonth is a unit's month as stored: closed ones carry the frozen result.
type AssessmentMonth struct {
	Unit         string          `json:"unit_code"`
	Month        time.Time       `json:"-"`
	RulesUnit    string          `json:"rules_unit"`
	RulesVersion int             `json:"rules_version"`
	State        string          `json:"state"`
	Results      json.RawMessage `json:"-"`
	ClosedBy     *string         `json:"closed_by"`
	ClosedAt     *time.Time      `json:"closed_at"`
	ReopenedBy   *string         `json:"reopened_by"`
	ReopenedAt   *time.Time      `json:"reopened_at"`
	ReopenReason *string         `json:"reopen_reason"`
}

// AssessmentMonthRow returns the stored month (nil when never closed);
// lock takes it FOR UPDATE in q's transaction.
func (s *Store) AssessmentMonthRow(ctx context.Context, q Querier, unit string, month time.Time, lock bool) (*AssessmentMonth, error) {
	sql := `SELECT unit_code, month, rules_unit, rules_version, state, results, closed_by, closed_at, reopened_by, reopened_at, reopen_reason
        FROM assessment_months WHERE unit_code = $1 AND month = $2::date`
	if lock {
		sql += ` FOR UPDATE`
	}
	var m AssessmentMonth
	err := q.QueryRow(ctx, sql, unit, month.Format(time.DateOnly)).Scan(&m.Unit, &m.Month, &m.RulesUnit, &m.RulesVersion, &m.State,
		&m.Results, &m.ClosedBy, &m.ClosedAt, &m.ReopenedBy, &m.ReopenedAt, &m.ReopenReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: assessment month %s %s: %w", unit, month.Format("2006-01"), err)
	}
	return &m, nil
}

// CloseAssessmentMonth freezes results for the month.
func (s *Store) CloseAssessmentMonth(ctx context.Context, q Querier, m AssessmentMonth, by string) error {
	_, err := q.Exec(ctx, `INSERT INTO assessment_months (unit_code, month, region_code, rules_unit, rules_version, state, results, closed_by, closed_at)
        VALUES ($1, $2::date, left($1, 6), $3, $4, 'closed', $5, $6, now())
        ON CONFLICT (unit_code, month) DO UPDATE SET rules_unit = EXCLUDED.rules_unit, rules_version = EXCLUDED.rules_version,
            state = 'closed', results = EXCLUDED.results, closed_by = EXCLUDED.closed_by, closed_at = EXCLUDED.closed_at`,
		m.Unit, m.Month.Format(time.DateOnly), m.RulesUnit, m.RulesVersion, m.Results, by)
	if err != nil {
		return fmt.Errorf("store: close assessment month: %w", err)
	}
	return nil
}

// ReopenAssessmentMonth opens a closed month again (the frozen result is
// kept until the month is closed anew).
func (s *Store) ReopenAssessmentMonth(ctx context.Context, q Querier, unit string, month time.Time, by, reason string) error {
	_, err := q.Exec(ctx, `UPDATE assessment_months SET state = 'open', reopened_by = $3, reopened_at = now(), reopen_reason = $4
        WHERE unit_code = $1 AND month = $2::date`, unit, month.Format(time.DateOnly), by, reason)
	if err != nil {
		return fmt.Errorf("store: reopen assessment month: %w", err)
	}
	return nil
}
