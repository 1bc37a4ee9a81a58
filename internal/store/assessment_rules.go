package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// RuleSet is one stored version of a unit's assessment rules.
type RuleSet struct {
	Unit      string          `json:"unit_code"` // "" for the default
	Version   int             `json:"version"`
	Rules     json.RawMessage `json:"rules"`
	CreatedBy string          `json:"created_by"`
	CreatedAt time.Time       `json:"created_at"`
}

// The rules of a month: the unit's own newest version written before the
// month ended, else the default's; versions written later never reach an
// earlier month, so editing rules leaves past months as they were.
const rulesForMonthSQL = `
SELECT unit_code, version, rules, created_by, created_at FROM assessment_rules
WHERE unit_code IN ($1, '') AND (created_at < $2 OR (unit_code = '' AND version = 1))
ORDER BY (unit_code = $1 AND created_at < $2) DESC, (created_at < $2) DESC, created_at DESC, version DESC LIMIT 1`

// RulesForMonth returns the rule set in force for unit in the month ending at end.
func (s *Store) RulesForMonth(ctx context.Context, q Querier, unit string, end time.Time) (RuleSet, error) {
	var r RuleSet
	err := q.QueryRow(ctx, rulesForMonthSQL, unit, end).Scan(&r.Unit, &r.Version, &r.Rules, &r.CreatedBy, &r.CreatedAt)
	if err != nil {
		return r, fmt.Errorf("store: assessment rules of %s: %w", unit, err)
	}
	return r, nil
}

// RuleSetVersion returns one stored version.
func (s *Store) RuleSetVersion(ctx context.Context, q Querier, unit string, version int) (RuleSet, error) {
	r := RuleSet{Unit: unit, Version: version}
	err := q.QueryRow(ctx, `SELECT rules, created_by, created_at FROM assessment_rules WHERE unit_code = $1 AND version = $2`,
		unit, version).Scan(&r.Rules, &r.CreatedBy, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("store: assessment rules %s v%d are missing", unit, version)
	}
	return r, err
}

// InsertRuleSet stores rules as the unit's next version (run it serializable:
// two editors at once get versions one after the other).
func (s *Store) InsertRuleSet(ctx context.Context, q Querier, unit string, rules []byte, by string) (RuleSet, error) {
	r := RuleSet{Unit: unit, Rules: rules, CreatedBy: by}
	err := q.QueryRow(ctx, `INSERT INTO assessment_rules (unit_code, version, rules, created_by, created_at)
        SELECT $1, coalesce(max(version), 0) + 1, $2, $3, clock_timestamp() FROM assessment_rules WHERE unit_code = $1
        RETURNING version, created_at`, unit, rules, by).Scan(&r.Version, &r.CreatedAt)
	if err != nil {
		return r, fmt.Errorf("store: new assessment rules of %s: %w", unit, err)
	}
	return r, nil
}

// RuleSetVersions lists the unit's versions (and the default's), newest first.
func (s *Store) RuleSetVersions(ctx context.Context, unit string) ([]RuleSet, error) {
	rows, err := s.pool.Query(ctx, `SELECT unit_code, version, rules, created_by, created_at FROM assessment_rules
        WHERE unit_code IN ($1, '') ORDER BY unit_code DESC, version DESC`, unit)
	if err != nil {
		return nil, fmt.Errorf("store: assessment rule versions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RuleSet, error) {
		var x RuleSet
		return x, r.Scan(&x.Unit, &x.Version, &x.Rules, &x.CreatedBy, &x.CreatedAt)
	})
}
