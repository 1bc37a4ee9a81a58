// Package service scores a unit's month from the records (store) with the
// rules in force (assessment), closes and reopens months, and records the
// few facts of its own: training attendance, phone and dispatch checks.
package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/assessment"
	"wangge/internal/store"
	unitcode "wangge/internal/unit"
	"wangge/internal/workcal"
)

// Service computes and keeps assessments.
type Service struct {
	St  *store.Store
	Now func() time.Time
}

// New returns a service on st.
func New(st *store.Store) *Service { return &Service{St: st, Now: time.Now} }

// Month is a unit's month as the API shows it.
type Month struct {
	Unit         string                    `json:"unit_code"`
	Month        string                    `json:"month"`
	RulesUnit    string                    `json:"rules_unit"`
	RulesVersion int                       `json:"rules_version"`
	State        string                    `json:"state"` // open or closed
	WorkDays     int                       `json:"work_days"`
	Items        []assessment.Item         `json:"items"` // the columns, in order
	Total        float64                   `json:"total"`
	Workers      []assessment.WorkerResult `json:"workers"`
	Stored       *store.AssessmentMonth    `json:"stored,omitempty"` // close/reopen history
}

var monthRe = regexp.MustCompile(`^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$`)

// ParseMonth reads YYYY-MM; a month that has not begun is bad input.
func (s *Service) ParseMonth(v string) (time.Time, error) {
	if !monthRe.MatchString(v) {
		return time.Time{}, apperr.New(apperr.ErrInvalid, "month %q: want YYYY-MM", v)
	}
	m, _ := time.ParseInLocation("2006-01", v, workcal.CST)
	if m.After(s.Now()) {
		return time.Time{}, apperr.New(apperr.ErrInvalid, "month %s is in the future", v)
	}
	return m, nil
}

// CheckUnit: an assessment is kept per administrative unit (township/street
// or above), not per grid.
func CheckUnit(unit string) error {
	if len(unit) != 12 || !unitcode.IsUnitCode(unit) || unitcode.PrefixLen(unit) == 12 {
		return apperr.New(apperr.ErrInvalid, "unit %q: want a 12-digit street/township (or district) code", unit)
	}
	return nil
}

// Month returns the unit's month: the frozen result when closed, else
// scored now from the records.
func (s *Service) Month(ctx context.Context, unit string, month time.Time) (Month, error) {
	row, err := s.St.AssessmentMonthRow(ctx, s.St.Pool(), unit, month, false)
	if err != nil {
		return Month{}, err
	}
	if row != nil && row.State == "closed" {
		var m Month
		if err := json.Unmarshal(row.Results, &m); err != nil {
			return m, fmt.Errorf("assessment: frozen month %s %s: %w", unit, month.Format("2006-01"), err)
		}
		m.State, m.Stored = "closed", row
		return m, nil
	}
	m, err := s.score(ctx, unit, month, true)
	m.Stored = row
	return m, err
}

func (s *Service) rules(ctx context.Context, q store.Querier, unit string, month time.Time) (store.RuleSet, assessment.Rules, error) {
	rs, err := s.St.RulesForMonth(ctx, q, unit, month.AddDate(0, 1, 0))
	if err != nil {
		return rs, assessment.Rules{}, err
	}
	var r assessment.Rules
	if err := json.Unmarshal(rs.Rules, &r); err != nil {
		return rs, r, fmt.Errorf("assessment: rules %s v%d: %w", rs.Unit, rs.Version, err)
	}
	return rs, r, nil
}

// score computes the month from the records; withPrev looks back at the
// months before for the bottom-of-the-ranking streak.
func (s *Service) score(ctx context.Context, unit string, month time.Time, withPrev bool) (Month, error) {
	rs, rules, err := s.rules(ctx, s.St.Pool(), unit, month)
	if err != nil {
		return Month{}, err
	}
	in, err := s.St.AssessmentInputs(ctx, unit, month, s.Now())
	if err != nil {
		return Month{}, err
	}
	if withPrev {
		in.PrevBottom = map[int64]int{}
		still := map[int64]bool{} // at the bottom in every month looked at so far
		for _, w := range in.Workers {
			still[w.ID] = true
		}
		for k := 1; k < rules.Ranking.BottomMonths && len(still) > 0; k++ {
			bottom, err := s.bottomOf(ctx, unit, month.AddDate(0, -k, 0))
			if err != nil {
				return Month{}, err
			}
			for id := range still {
				if bottom[id] {
					in.PrevBottom[id]++
				} else {
					delete(still, id)
				}
			}
		}
	}
	res := assessment.Score(rules, in)
	return Month{Unit: unit, Month: res.Month, RulesUnit: rs.Unit, RulesVersion: rs.Version, State: "open",
		WorkDays: in.WorkDays, Items: rules.Items, Total: rules.Total, Workers: res.Workers}, nil
}

// bottomOf: who was at the bottom of an earlier month (frozen if closed).
func (s *Service) bottomOf(ctx context.Context, unit string, month time.Time) (map[int64]bool, error) {
	var m Month
	row, err := s.St.AssessmentMonthRow(ctx, s.St.Pool(), unit, month, false)
	if err != nil {
		return nil, err
	}
	if row != nil && row.State == "closed" {
		err = json.Unmarshal(row.Results, &m)
	} else {
		m, err = s.score(ctx, unit, month, false)
	}
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, w := range m.Workers {
		if w.Bottom {
			out[w.WorkerID] = true
		}
	}
	return out, nil
}

// Actor is who does a write, for checks and the audit log.
type Actor struct {
	Audit store.AuditEntry // who/where; Action and object are filled here
	Scope string           // unit code prefix of the actor ("" everywhere)
}

func (s *Service) audit(ctx context.Context, q store.Querier, a Actor, action, objType, objID, reason string, details any) error {
	e := a.Audit
	e.Action, e.ObjectType, e.ObjectID, e.Reason = action, objType, objID, reason
	if details != nil {
		b, err := json.Marshal(details)
		if err != nil {
			return err
		}
		e.Details = b
	}
	return s.St.Audit(ctx, q, e)
}

// Close freezes a month that has ended: its result no longer follows the
// records or the rules until it is reopened.
func (s *Service) Close(ctx context.Context, unit string, month time.Time, a Actor) (Month, error) {
	if !month.AddDate(0, 1, 0).Before(s.Now()) {
		return Month{}, apperr.New(apperr.ErrInvalid, "month %s has not ended: it cannot be closed yet", month.Format("2006-01"))
	}
	var out Month
	err := s.St.Serializable(ctx, func(tx pgx.Tx) error {
		row, err := s.St.AssessmentMonthRow(ctx, tx, unit, month, true)
		if err != nil {
			return err
		}
		if row != nil && row.State == "closed" {
			return apperr.New(apperr.ErrConflict, "month %s of %s is already closed", month.Format("2006-01"), unit)
		}
		m, err := s.score(ctx, unit, month, true)
		if err != nil {
			return err
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := s.St.CloseAssessmentMonth(ctx, tx, store.AssessmentMonth{Unit: unit, Month: month, RulesUnit: m.RulesUnit,
			RulesVersion: m.RulesVersion, Results: b}, a.Audit.Username); err != nil {
			return err
		}
		m.State = "closed"
		out = m
		return s.audit(ctx, tx, a, "assessment.close", "assessment_month", unit+"/"+m.Month, "",
			map[string]any{"rules_unit": m.RulesUnit, "rules_version": m.RulesVersion, "workers": len(m.Workers)})
	})
	if err != nil {
		return Month{}, err
	}
	return out, nil
}

// Reopen opens a closed month again: only an account other than the one
// that closed it, with a reason; audited.
func (s *Service) Reopen(ctx context.Context, unit string, month time.Time, reason string, a Actor) error {
	if len([]rune(reason)) < 2 || len(reason) > 1000 {
		return apperr.New(apperr.ErrInvalid, "reason: say why the month is reopened (2 to 1000 characters)")
	}
	return s.St.Serializable(ctx, func(tx pgx.Tx) error {
		row, err := s.St.AssessmentMonthRow(ctx, tx, unit, month, true)
		if err != nil {
			return err
		}
		if row == nil || row.State != "closed" {
			return apperr.New(apperr.ErrConflict, "month %s of %s is not closed", month.Format("2006-01"), unit)
		}
		if row.ClosedBy != nil && *row.ClosedBy == a.Audit.Username {
			return apperr.New(apperr.ErrForbidden, "%s closed this month: a second account must reopen it", a.Audit.Username)
		}
		if err := s.St.ReopenAssessmentMonth(ctx, tx, unit, month, a.Audit.Username, reason); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "assessment.reopen", "assessment_month", unit+"/"+month.Format("2006-01"), reason,
			map[string]any{"closed_by": row.ClosedBy})
	})
}

// PutRules validates rules and stores them as the unit's next version.
func (s *Service) PutRules(ctx context.Context, unit string, body []byte, a Actor) (store.RuleSet, error) {
	var r assessment.Rules
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return store.RuleSet{}, apperr.New(apperr.ErrInvalid, "rules: not valid JSON: %v", err)
	}
	if err := r.Validate(); err != nil {
		return store.RuleSet{}, apperr.New(apperr.ErrInvalid, "rules: %v", err)
	}
	canon, err := json.Marshal(r)
	if err != nil {
		return store.RuleSet{}, err
	}
	var out store.RuleSet
	err = s.St.Serializable(ctx, func(tx pgx.Tx) error {
		rs, err := s.St.InsertRuleSet(ctx, tx, unit, canon, a.Audit.Username)
		if err != nil {
			return err
		}
		out = rs
		return s.audit(ctx, tx, a, "assessment.rules", "assessment_rules", fmt.Sprintf("%s/%d", unit, rs.Version), "", nil)
	})
	return out, err
}

// YearRow is a worker's year: monthly scores, their average and the grade.
type YearRow struct {
	WorkerID int64              `json:"worker_id"`
	Worker   string             `json:"worker"`
	Grid     string             `json:"grid_code"`
	Months   map[string]float64 `json:"months"`
	Average  float64            `json:"average"`
	Grade    string             `json:"grade"` // 优秀/良好/合格/不合格
}

// Year grades the unit's workers on the months of year that have ended,
// with the grades of the rules in force at the year's last scored month.
func (s *Service) Year(ctx context.Context, unit string, year int) (map[string]any, error) {
	now := s.Now()
	rows := map[int64]*YearRow{}
	var order []int64
	var last time.Time
	for mo := 1; mo <= 12; mo++ {
		month := time.Date(year, time.Month(mo), 1, 0, 0, 0, 0, workcal.CST)
		if month.AddDate(0, 1, 0).After(now) {
			break
		}
		last = month
		row, err := s.St.AssessmentMonthRow(ctx, s.St.Pool(), unit, month, false)
		if err != nil {
			return nil, err
		}
		var m Month
		if row != nil && row.State == "closed" {
			err = json.Unmarshal(row.Results, &m)
		} else {
			m, err = s.score(ctx, unit, month, false)
		}
		if err != nil {
			return nil, err
		}
		for _, w := range m.Workers {
			r := rows[w.WorkerID]
			if r == nil {
				r = &YearRow{WorkerID: w.WorkerID, Worker: w.Worker, Grid: w.Grid, Months: map[string]float64{}}
				rows[w.WorkerID] = r
				order = append(order, w.WorkerID)
			}
			r.Months[m.Month] = w.Score
		}
	}
	out := []YearRow{}
	if !last.IsZero() {
		_, rules, err := s.rules(ctx, s.St.Pool(), unit, last)
		if err != nil {
			return nil, err
		}
		for _, id := range order {
			r := rows[id]
			scores := make([]float64, 0, len(r.Months))
			for _, v := range r.Months {
				scores = append(scores, v)
			}
			r.Average, r.Grade = rules.YearGrade(scores)
			out = append(out, *r)
		}
	}
	return map[string]any{"unit_code": unit, "year": year, "workers": out}, nil
}
