package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/workcal"
)

// WorkerGrids lists the grids user serves as a grid worker on day: on a
// grid's card, or by an active assignment.
func (s *Store) WorkerGrids(ctx context.Context, q Querier, user int64, day time.Time) ([]string, error) {
	rows, err := q.Query(ctx, `
SELECT unit_code FROM grid_staff WHERE role = 'grid_worker' AND user_id = $1 AND length(unit_code) = 15
UNION
SELECT a.unit_code FROM staff_assignments a JOIN staff st ON st.id = a.staff_id
WHERE st.user_id = $1 AND a.role = 'grid_worker' AND a.status = 'active' AND length(a.unit_code) = 15
  AND a.from_date <= $2::date AND (a.to_date IS NULL OR a.to_date >= $2::date)
ORDER BY 1`, user, day.In(workcal.CST).Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("store: grids of worker %d: %w", user, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// TrainingSession is a session and its attendance.
type TrainingSession struct {
	ID         int64        `json:"id"`
	Unit       string       `json:"unit_code"`
	Title      string       `json:"title"`
	HeldOn     string       `json:"held_on"`
	Attendance []Attendance `json:"attendance"`
}

// Attendance is one worker's status at a session.
type Attendance struct {
	UserID int64  `json:"user_id"`
	Status string `json:"status"` // present, excused, absent
	Note   string `json:"note,omitempty"`
}

// InsertTrainingSession stores a session (its attendance separately).
func (s *Store) InsertTrainingSession(ctx context.Context, q Querier, t TrainingSession, by *int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO training_sessions (region_code, unit_code, title, held_on, recorded_by)
        VALUES (left($1, 6), $1, $2, $3::date, $4) RETURNING id`, t.Unit, t.Title, t.HeldOn, by).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: training session: %w", err)
	}
	return id, nil
}

// TrainingSessionByID returns a session with its attendance.
func (s *Store) TrainingSessionByID(ctx context.Context, q Querier, id int64) (TrainingSession, error) {
	t := TrainingSession{ID: id, Attendance: []Attendance{}}
	err := q.QueryRow(ctx, `SELECT unit_code, title, to_char(held_on, 'YYYY-MM-DD') FROM training_sessions WHERE id = $1`, id).
		Scan(&t.Unit, &t.Title, &t.HeldOn)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.New(apperr.ErrNotFound, "no training session %d", id)
	}
	if err != nil {
		return t, fmt.Errorf("store: training session %d: %w", id, err)
	}
	rows, err := q.Query(ctx, `SELECT user_id, status, note FROM training_attendance WHERE session_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return t, fmt.Errorf("store: attendance of %d: %w", id, err)
	}
	att, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attendance, error) {
		var a Attendance
		return a, r.Scan(&a.UserID, &a.Status, &a.Note)
	})
	if err != nil {
		return t, fmt.Errorf("store: attendance of %d: %w", id, err)
	}
	t.Attendance = append(t.Attendance, att...)
	return t, nil
}

// PutAttendance records (or corrects) a worker's status at a session.
func (s *Store) PutAttendance(ctx context.Context, q Querier, session int64, a Attendance, by *int64) error {
	_, err := q.Exec(ctx, `INSERT INTO training_attendance (session_id, user_id, region_code, status, note, recorded_by)
        SELECT id, $2, region_code, $3, $4, $5 FROM training_sessions WHERE id = $1
        ON CONFLICT (session_id, user_id) DO UPDATE SET status = EXCLUDED.status, note = EXCLUDED.note,
            recorded_by = EXCLUDED.recorded_by, recorded_at = now()`, session, a.UserID, a.Status, a.Note, by)
	if err != nil {
		return fmt.Errorf("store: attendance: %w", err)
	}
	return nil
}

// SpotCheck is a phone spot check (Level empty) or a dispatch-call check.
type SpotCheck struct {
	ID       int64     `json:"id"`
	UserID   int64     `json:"user_id"`
	At       time.Time `json:"at"`
	Answered bool      `json:"answered"`        // phone checks
	Level    string    `json:"level,omitempty"` // dispatch checks: province, city, county
	Note     string    `json:"note"`
}

// InsertPhoneCheck stores a phone spot check of a worker (region: the worker's grid's).
func (s *Store) InsertPhoneCheck(ctx context.Context, q Querier, c SpotCheck, region string, by *int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO phone_spot_checks (region_code, user_id, called_at, answered, note, recorded_by)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, region, c.UserID, c.At, c.Answered, c.Note, by).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: phone check: %w", err)
	}
	return id, nil
}

// InsertDispatchCheck stores a missed dispatch call found by a check.
func (s *Store) InsertDispatchCheck(ctx context.Context, q Querier, c SpotCheck, region string, by *int64) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO dispatch_checks (region_code, user_id, level, checked_at, note, recorded_by)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, region, c.UserID, c.Level, c.At, c.Note, by).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: dispatch check: %w", err)
	}
	return id, nil
}
