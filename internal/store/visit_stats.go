package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// gridStats is a grid's yearly coverage and its persons per category.
type gridStats struct {
	households, visitedYear int
	categories              map[string]int
}

// Coverage "every household visited at least once this year": households
// of each grid, and those with a visit from 1 January of month's year to
// the month's end (Beijing time), recorded by asOf — so a past month's
// answer never changes.
const yearCoverageSQL = `
SELECT b.grid_code, count(*),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM visits v WHERE v.household_id = h.id AND v.recorded_at <= $3
           AND v.visited_at >= (date_trunc('year', $2::date)::timestamp AT TIME ZONE 'Asia/Shanghai')
           AND v.visited_at < (($2::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')))
FROM households h JOIN buildings b ON b.id = h.building_id
WHERE b.grid_code = ANY($1) GROUP BY b.grid_code`

const categoryCountsSQL = `
SELECT b.grid_code, c, count(*)
FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id,
     unnest(p.categories) c
WHERE b.grid_code = ANY($1) GROUP BY 1, 2`

func (s *Store) gridStats(ctx context.Context, grids []string, month, asOf time.Time) (map[string]*gridStats, error) {
	out := make(map[string]*gridStats, len(grids))
	for _, g := range grids {
		out[g] = &gridStats{categories: map[string]int{}}
	}
	rows, err := s.pool.Query(ctx, yearCoverageSQL, grids, month.Format("2006-01-02"), asOf)
	if err != nil {
		return nil, fmt.Errorf("store: coverage: %w", err)
	}
	var g, c string
	var n, m int
	if _, err := pgx.ForEachRow(rows, []any{&g, &n, &m}, func() error {
		out[g].households, out[g].visitedYear = n, m
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: coverage: %w", err)
	}
	rows, err = s.pool.Query(ctx, categoryCountsSQL, grids)
	if err != nil {
		return nil, fmt.Errorf("store: category counts: %w", err)
	}
	if _, err := pgx.ForEachRow(rows, []any{&g, &c, &n}, func() error {
		out[g].categories[c] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: category counts: %w", err)
	}
	return out, nil
}

// VisitWorkerGrids are the grids whose visits fall to username on day: the
// grids they serve as grid worker (WorkerGrids) and their account's unit
// when it is a grid. ErrNotFound for an unknown username.
func (s *Store) VisitWorkerGrids(ctx context.Context, username string, day time.Time) ([]string, error) {
	var id int64
	var own string
	err := s.pool.QueryRow(ctx, `SELECT id, coalesce(unit_code, '') FROM users WHERE username = $1`, username).Scan(&id, &own)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no user %q", username)
	}
	if err != nil {
		return nil, fmt.Errorf("store: user %q: %w", username, err)
	}
	grids, err := s.WorkerGrids(ctx, s.pool, id, day)
	if err != nil {
		return nil, err
	}
	if len(own) == 15 && !slices.Contains(grids, own) {
		grids = append(grids, own)
		slices.Sort(grids)
	}
	return grids, nil
}
