package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/assessment"
	"wangge/internal/auth"
	"wangge/internal/store"
	unitcode "wangge/internal/unit"
	"wangge/internal/workcal"
)

func text(field, v string, max int, required bool) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || utf8.RuneCountInString(v) > max || (required && v == "") {
		return "", apperr.New(apperr.ErrInvalid, "%s: want text of %s%d characters", field, map[bool]string{true: "1 to ", false: "at most "}[required], max)
	}
	return v, nil
}

// when checks a record's moment: not in the future, not before last year.
func (s *Service) when(field string, t time.Time) error {
	now := s.Now()
	if t.IsZero() || t.After(now.Add(10*time.Minute)) || t.Before(now.AddDate(-2, 0, 0)) {
		return apperr.New(apperr.ErrInvalid, "%s: want a time in the last two years, not in the future", field)
	}
	return nil
}

// workerGrid: the grid of worker on day inside the actor's scope (and inside
// within, when given); a worker elsewhere is refused.
func (s *Service) workerGrid(ctx context.Context, q store.Querier, worker int64, day time.Time, a Actor, within string) (string, error) {
	grids, err := s.St.WorkerGrids(ctx, q, worker, day)
	if err != nil {
		return "", err
	}
	if len(grids) == 0 {
		return "", apperr.New(apperr.ErrInvalid, "user %d is not a grid worker on %s", worker, day.In(workcal.CST).Format(time.DateOnly))
	}
	for _, g := range grids {
		if auth.Within(g, a.Scope) && (within == "" || auth.Within(g, within)) {
			return g, nil
		}
	}
	return "", apperr.New(apperr.ErrForbidden, "worker %d serves grids outside your units (%s)", worker, strings.Join(grids, ", "))
}

// closedFor: a record dated in a month that is closed for the grid's unit
// (or any unit above it) needs a stated reason, and is audited with it.
func (s *Service) closedFor(ctx context.Context, q store.Querier, grid string, at time.Time, reason string) error {
	var unit string
	m := at.In(workcal.CST)
	err := q.QueryRow(ctx, `SELECT unit_code FROM assessment_months WHERE state = 'closed' AND month = $2::date
        AND left($1, length(unit_scope(unit_code))) = unit_scope(unit_code) LIMIT 1`,
		grid, time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, workcal.CST).Format(time.DateOnly)).Scan(&unit)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("assessment: closed months: %w", err)
	}
	if reason == "" {
		return apperr.New(apperr.ErrConflict, "%s is closed for %s: state a reason to change it", m.Format("2006-01"), unit)
	}
	return nil
}

// TrainingInput is a session with its attendance.
type TrainingInput struct {
	Unit       string             `json:"unit_code"`
	Title      string             `json:"title"`
	HeldOn     string             `json:"held_on"`
	Attendance []store.Attendance `json:"attendance"`
	Reason     string             `json:"reason"`
}

var statuses = []string{"present", "excused", "absent"}

// RecordTraining stores a session and its attendance in tx.
func (s *Service) RecordTraining(ctx context.Context, tx pgx.Tx, in TrainingInput, a Actor) (store.TrainingSession, error) {
	var err error
	var out store.TrainingSession
	if in.Title, err = text("title", in.Title, 200, true); err != nil {
		return out, err
	}
	if in.Reason, err = text("reason", in.Reason, 1000, false); err != nil {
		return out, err
	}
	day, err := time.ParseInLocation(time.DateOnly, in.HeldOn, workcal.CST)
	if err != nil {
		return out, apperr.New(apperr.ErrInvalid, "held_on %q: want YYYY-MM-DD", in.HeldOn)
	}
	if err := s.when("held_on", day); err != nil {
		return out, err
	}
	if !unitcode.IsUnitCode(in.Unit) {
		return out, apperr.New(apperr.ErrInvalid, "unit_code %q: want a unit code", in.Unit)
	}
	if !auth.Within(in.Unit, a.Scope) {
		return out, apperr.New(apperr.ErrForbidden, "unit %s is outside your units", in.Unit)
	}
	if len(in.Attendance) > 2000 {
		return out, apperr.New(apperr.ErrInvalid, "attendance: at most 2000 rows")
	}
	id, err := s.St.InsertTrainingSession(ctx, tx, store.TrainingSession{Unit: in.Unit, Title: in.Title, HeldOn: in.HeldOn}, a.Audit.UserID)
	if err != nil {
		return out, err
	}
	seen := map[int64]bool{}
	for _, at := range in.Attendance {
		if seen[at.UserID] {
			return out, apperr.New(apperr.ErrInvalid, "attendance: user %d twice", at.UserID)
		}
		seen[at.UserID] = true
		if err := s.attend(ctx, tx, id, in.Unit, day, at, in.Reason, a); err != nil {
			return out, err
		}
	}
	if err := s.audit(ctx, tx, a, "assessment.training", "training_session", fmt.Sprint(id), in.Reason, map[string]any{"attendance": len(in.Attendance)}); err != nil {
		return out, err
	}
	return s.St.TrainingSessionByID(ctx, tx, id)
}

// AttendanceInput is one worker's status, added or corrected later.
type AttendanceInput struct {
	store.Attendance
	Reason string `json:"reason"`
}

// RecordAttendance adds or corrects one worker's status at a session.
func (s *Service) RecordAttendance(ctx context.Context, tx pgx.Tx, session int64, in AttendanceInput, a Actor) (store.TrainingSession, error) {
	t, err := s.St.TrainingSessionByID(ctx, tx, session)
	if err != nil {
		return t, err
	}
	if !auth.Within(t.Unit, a.Scope) {
		return t, apperr.New(apperr.ErrForbidden, "session %d is outside your units", session)
	}
	if in.Reason, err = text("reason", in.Reason, 1000, false); err != nil {
		return t, err
	}
	day, _ := time.ParseInLocation(time.DateOnly, t.HeldOn, workcal.CST)
	if err := s.attend(ctx, tx, session, t.Unit, day, in.Attendance, in.Reason, a); err != nil {
		return t, err
	}
	if err := s.audit(ctx, tx, a, "assessment.attendance", "training_session", fmt.Sprint(session), in.Reason,
		map[string]any{"user_id": in.UserID, "status": in.Status}); err != nil {
		return t, err
	}
	return s.St.TrainingSessionByID(ctx, tx, session)
}

func (s *Service) attend(ctx context.Context, tx pgx.Tx, session int64, unit string, day time.Time, at store.Attendance, reason string, a Actor) error {
	var err error
	if !slices.Contains(statuses, at.Status) {
		return apperr.New(apperr.ErrInvalid, "attendance status %q: want one of %v", at.Status, statuses)
	}
	if at.Note, err = text("note", at.Note, 500, false); err != nil {
		return err
	}
	grid, err := s.workerGrid(ctx, tx, at.UserID, day, a, unit)
	if err != nil {
		return err
	}
	if err := s.closedFor(ctx, tx, grid, day, reason); err != nil {
		return err
	}
	return s.St.PutAttendance(ctx, tx, session, at, a.Audit.UserID)
}

// CheckInput is a phone spot check or a dispatch-call check.
type CheckInput struct {
	store.SpotCheck
	Reason string `json:"reason"`
}

// RecordCheck stores a phone spot check (dispatch false) or a missed
// dispatch call (dispatch true) of a worker in the actor's units.
func (s *Service) RecordCheck(ctx context.Context, tx pgx.Tx, dispatch bool, in CheckInput, a Actor) (store.SpotCheck, error) {
	var err error
	out := in.SpotCheck
	if err := s.when("at", in.At); err != nil {
		return out, err
	}
	if in.Note, err = text("note", in.Note, 500, false); err != nil {
		return out, err
	}
	if in.Reason, err = text("reason", in.Reason, 1000, false); err != nil {
		return out, err
	}
	if dispatch && !slices.Contains(assessment.Levels, in.Level) {
		return out, apperr.New(apperr.ErrInvalid, "level %q: want one of %v", in.Level, assessment.Levels)
	}
	if !dispatch && in.Level != "" {
		return out, apperr.New(apperr.ErrInvalid, "level: only dispatch checks have a level")
	}
	grid, err := s.workerGrid(ctx, tx, in.UserID, in.At, a, "")
	if err != nil {
		return out, err
	}
	if err := s.closedFor(ctx, tx, grid, in.At, in.Reason); err != nil {
		return out, err
	}
	kind := "phone_check"
	if dispatch {
		kind = "dispatch_check"
		out.ID, err = s.St.InsertDispatchCheck(ctx, tx, in.SpotCheck, grid[:6], a.Audit.UserID)
	} else {
		out.ID, err = s.St.InsertPhoneCheck(ctx, tx, in.SpotCheck, grid[:6], a.Audit.UserID)
	}
	if err != nil {
		return out, err
	}
	out.Note = in.Note
	return out, s.audit(ctx, tx, a, "assessment."+kind, kind, fmt.Sprint(out.ID), in.Reason,
		map[string]any{"user_id": in.UserID, "grid_code": grid})
}
