package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// GridActivity is what a grid's card shows of field work: no personal data.
type GridActivity struct {
	OpenIncidents    int            `json:"open_incidents"`
	OpenByType       map[string]int `json:"open_by_type"`
	LastPatrolAt     *time.Time     `json:"last_patrol_at"`
	PatrolMinutes30d float64        `json:"patrol_minutes_30d"`
}

const (
	openIncidentsSQL = `
SELECT type, count(*) FROM incidents
WHERE grid_code = $1 AND status NOT IN ('closed', 'invalid')
GROUP BY type`
	// A grid's patrols are its grid workers' tracks; patrol time adds up the
	// gaps between consecutive fixes shorter than 5 minutes (longer gaps are
	// breaks between patrols).
	gridPatrolSQL = `
WITH workers AS (
    SELECT user_id FROM grid_staff WHERE unit_code = $1 AND role = 'grid_worker' AND user_id IS NOT NULL
    UNION
    SELECT id FROM users WHERE unit_code = $1 AND role = 'officer'
), fixes AS (
    SELECT p.recorded_at, p.recorded_at - lag(p.recorded_at) OVER (PARTITION BY p.user_id ORDER BY p.recorded_at) AS gap
    FROM patrol_points p JOIN workers w USING (user_id)
    WHERE p.recorded_at >= now() - interval '30 days'
)
SELECT (SELECT max(p.recorded_at) FROM patrol_points p JOIN workers w USING (user_id)),
       coalesce(sum(extract(epoch FROM gap)) FILTER (WHERE gap < interval '5 minutes'), 0) / 60
FROM fixes`
)

// Activity returns open incidents and patrol figures of a grid.
func (s *Store) Activity(ctx context.Context, code string) (GridActivity, error) {
	if _, err := s.unitLevel(ctx, code); err != nil {
		return GridActivity{}, err
	}
	a := GridActivity{OpenByType: map[string]int{}}
	rows, err := s.pool.Query(ctx, openIncidentsSQL, code)
	if err != nil {
		return a, fmt.Errorf("store: activity %s: %w", code, err)
	}
	var kind string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&kind, &n}, func() error {
		a.OpenByType[kind] = n
		a.OpenIncidents += n
		return nil
	}); err != nil {
		return a, fmt.Errorf("store: activity %s: %w", code, err)
	}
	if err := s.pool.QueryRow(ctx, gridPatrolSQL, code).Scan(&a.LastPatrolAt, &a.PatrolMinutes30d); err != nil {
		return a, fmt.Errorf("store: activity %s: %w", code, err)
	}
	return a, nil
}
