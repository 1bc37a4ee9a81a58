package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/workcal"
)

// WorkCalendar is the working calendar of unit code: its region's holidays
// and 调休 workdays, under the week, hours and own days of the nearest
// unit up its chain that sets a calendar (workcal.Parse).
func (s *Store) WorkCalendar(ctx context.Context, q Querier, code string) (workcal.Calendar, error) {
	if q == nil {
		q = s.pool
	}
	days, err := s.CalendarDays(ctx, q, code[:min(6, len(code))])
	if err != nil {
		return workcal.Calendar{}, err
	}
	e, err := s.effectiveSettings(ctx, q, code)
	if err != nil {
		return workcal.Calendar{}, err
	}
	cal, err := workcal.Parse(e.Calendar, days)
	if err != nil {
		return workcal.Calendar{}, fmt.Errorf("store: calendar of %s: %w", code, err)
	}
	return cal, nil
}

// CalendarDays returns the exceptions of a region's working calendar (the
// '000000' defaults, overridden by the region's own rows) as day → workday.
func (s *Store) CalendarDays(ctx context.Context, q Querier, region string) (map[string]bool, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, `SELECT day, workday FROM work_calendar WHERE region_code IN ('000000', $1)
        ORDER BY region_code = $1, day`, region)
	if err != nil {
		return nil, fmt.Errorf("store: work calendar: %w", err)
	}
	out := map[string]bool{}
	var d time.Time
	var w bool
	if _, err := pgx.ForEachRow(rows, []any{&d, &w}, func() error { out[d.Format(time.DateOnly)] = w; return nil }); err != nil {
		return nil, fmt.Errorf("store: work calendar: %w", err)
	}
	return out, nil
}

// SetCalendarDay records a holiday (workday false) or a 调休 workday (true).
func (s *Store) SetCalendarDay(ctx context.Context, q Querier, region string, day time.Time, workday bool, note string) error {
	if q == nil {
		q = s.pool
	}
	_, err := q.Exec(ctx, `INSERT INTO work_calendar (region_code, day, workday, note) VALUES ($1, $2::date, $3, $4)
        ON CONFLICT (region_code, day) DO UPDATE SET workday = EXCLUDED.workday, note = EXCLUDED.note`,
		region, day.Format(time.DateOnly), workday, note)
	if err != nil {
		return fmt.Errorf("store: work calendar: %w", err)
	}
	return nil
}
