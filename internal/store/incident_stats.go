package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// IncidentStats is the leader's view of cases reported in a period.
type IncidentStats struct {
	Total       int              `json:"total"`
	ByState     map[string]int   `json:"by_state"`
	ByCategory  map[string]int   `json:"by_category"`
	ByLevel     map[string]int   `json:"by_level"`
	Overdue     int              `json:"overdue"`
	ClosureRate float64          `json:"closure_rate"` // closed / valid cases (not invalid)
	MeanHours   *float64         `json:"mean_hours"`   // report to close, closed cases
	P90Hours    *float64         `json:"p90_hours"`
	Reporters   []ReporterRecord `json:"reporters"`
	OverdueList []Incident       `json:"overdue_list"`
}

// ReporterRecord is one reporter's count and invalid-report rate.
type ReporterRecord struct {
	UserID      int64   `json:"user_id"`
	Username    string  `json:"username"`
	Reports     int     `json:"reports"`
	Invalid     int     `json:"invalid"`
	InvalidRate float64 `json:"invalid_rate"`
}

const statsScope = `coalesce(i.grid_code, i.community_code) LIKE $1 || '%' AND i.reported_at >= $2 AND i.reported_at < $3`

// IncidentStats sums cases under the code prefix scope reported in [from, to).
func (s *Store) IncidentStats(ctx context.Context, scope string, from, to time.Time) (IncidentStats, error) {
	st := IncidentStats{ByState: map[string]int{}, ByCategory: map[string]int{}, ByLevel: map[string]int{}, Reporters: []ReporterRecord{}}
	levels := map[int]string{1: "district", 2: "street", 3: "community", 4: "grid"}
	rows, err := s.pool.Query(ctx, `SELECT i.status, i.category, i.level, i.overdue AND i.status NOT IN ('closed', 'invalid'), count(*)
        FROM incidents i WHERE `+statsScope+` GROUP BY 1, 2, 3, 4`, scope, from, to)
	if err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	for rows.Next() {
		var state, cat string
		var level, n int
		var overdue bool
		if err := rows.Scan(&state, &cat, &level, &overdue, &n); err != nil {
			rows.Close()
			return st, fmt.Errorf("store: incident stats: %w", err)
		}
		st.Total += n
		st.ByState[state] += n
		st.ByCategory[cat] += n
		st.ByLevel[levels[level]] += n
		if overdue {
			st.Overdue += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	if valid := st.Total - st.ByState["invalid"]; valid > 0 {
		st.ClosureRate = float64(st.ByState["closed"]) / float64(valid)
	}
	err = s.pool.QueryRow(ctx, `SELECT avg(h), percentile_cont(0.9) WITHIN GROUP (ORDER BY h) FROM (
        SELECT extract(epoch FROM i.closed_at - i.reported_at) / 3600 AS h FROM incidents i
        WHERE `+statsScope+` AND i.status = 'closed' AND i.closed_at IS NOT NULL) x`, scope, from, to).Scan(&st.MeanHours, &st.P90Hours)
	if err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	rows, err = s.pool.Query(ctx, `SELECT u.id, u.username, count(*), count(*) FILTER (WHERE i.status = 'invalid')
        FROM incidents i JOIN users u ON u.id = i.reported_by WHERE `+statsScope+`
        GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 2 LIMIT 1000`, scope, from, to)
	if err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	reporters, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (r ReporterRecord, err error) {
		err = row.Scan(&r.UserID, &r.Username, &r.Reports, &r.Invalid)
		r.InvalidRate = float64(r.Invalid) / float64(r.Reports)
		return r, err
	})
	if err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	st.Reporters = append(st.Reporters, reporters...)
	rows, err = s.pool.Query(ctx, `SELECT `+incidentCols+` FROM incidents i
        WHERE i.overdue AND i.status NOT IN ('closed', 'invalid') AND `+statsScope+` ORDER BY i.due_at LIMIT 100`, scope, from, to)
	if err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	if st.OverdueList, err = pgx.CollectRows(rows, collectIncident); err != nil {
		return st, fmt.Errorf("store: incident stats: %w", err)
	}
	return st, nil
}
