package store

import (
	"context"
	"fmt"

	"wangge/internal/apperr"
)

// UnitStat is one unit's kept counts (see migrations/000040_unit_stats.up.sql):
// key → value, e.g. "buildings", "households", "people", "tag:低保".
// Later counts (open incidents, patrol hours, …) arrive as more keys.
type UnitStat struct {
	Code   string           `json:"code"`
	Name   string           `json:"name"`
	Level  int              `json:"level"`
	Counts map[string]int64 `json:"counts"`
}

// UnitStats returns the unit and its children, each with its kept counts
// (one indexed read of the delta table: the unit's and its children's rows).
func UnitStats(ctx context.Context, q Querier, code string) (UnitStat, []UnitStat, error) {
	rows, err := q.Query(ctx, `
WITH u AS (
    SELECT code, name, level, 0 AS ord FROM units WHERE code = $1
    UNION ALL SELECT code, name, level, 1 FROM units WHERE parent_code = $1
), s AS (
    SELECT d.code, d.key, sum(d.n)::bigint AS n FROM unit_stat_deltas d
    -- = ANY of an array, not IN: the planner then probes the index per code
    -- instead of scanning every unit's deltas (the whole city's) for a semi-join.
    WHERE d.code = ANY (ARRAY(SELECT code FROM u)) GROUP BY 1, 2 HAVING sum(d.n) <> 0
)
SELECT u.code, u.name, u.level, u.ord, coalesce(s.key, ''), coalesce(s.n, 0)
FROM u LEFT JOIN s ON s.code = u.code ORDER BY u.ord, u.code, s.key`, code)
	if err != nil {
		return UnitStat{}, nil, fmt.Errorf("store: unit stats: %w", err)
	}
	defer rows.Close()
	var self UnitStat
	var children []UnitStat
	found := false
	for rows.Next() {
		var c, name, key string
		var level, ord int
		var n int64
		if err := rows.Scan(&c, &name, &level, &ord, &key, &n); err != nil {
			return UnitStat{}, nil, fmt.Errorf("store: unit stats: %w", err)
		}
		var cur *UnitStat
		if ord == 0 {
			cur, found = &self, true
		} else {
			if len(children) == 0 || children[len(children)-1].Code != c {
				children = append(children, UnitStat{})
			}
			cur = &children[len(children)-1]
		}
		if cur.Code == "" {
			*cur = UnitStat{Code: c, Name: name, Level: level, Counts: map[string]int64{}}
		}
		if key != "" {
			cur.Counts[key] = n
		}
	}
	if err := rows.Err(); err != nil {
		return UnitStat{}, nil, fmt.Errorf("store: unit stats: %w", err)
	}
	if !found {
		return UnitStat{}, nil, apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
	}
	if children == nil {
		children = []UnitStat{}
	}
	return self, children, nil
}

// CompactUnitStats folds the appended deltas into one row per unit and key
// (a periodic job's work; the sums do not change). It returns the rows saved.
func CompactUnitStats(ctx context.Context, q Querier) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, `SELECT unit_stats_compact()`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: compact unit stats: %w", err)
	}
	return n, nil
}
