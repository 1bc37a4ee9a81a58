package inspection

import (
	"context"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/store"
)

// PeriodStart is the start (CST) of the schedule's period holding t: the day,
// the ISO week (Monday), the month, or the semester (February–July,
// August–January).
func PeriodStart(schedule string, t time.Time) time.Time {
	t = t.In(incidents.CST)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, incidents.CST)
	switch schedule {
	case "weekly":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "monthly":
		return day.AddDate(0, 0, 1-day.Day())
	case "semester":
		y, m := day.Year(), day.Month()
		switch {
		case m >= time.February && m <= time.July:
			return time.Date(y, time.February, 1, 0, 0, 0, 0, incidents.CST)
		case m >= time.August:
			return time.Date(y, time.August, 1, 0, 0, 0, 0, incidents.CST)
		default:
			return time.Date(y-1, time.August, 1, 0, 0, 0, 0, incidents.CST)
		}
	}
	return day
}

// classify says whether a place's checklist is done this period, due, or
// overdue (the whole previous period passed without one as well).
func classify(r store.PlaceSchedule, now time.Time) (state string, cur time.Time) {
	cur = PeriodStart(r.Schedule, now)
	if r.LastInspectedAt != nil && !r.LastInspectedAt.Before(cur) {
		return "done", cur
	}
	prev := PeriodStart(r.Schedule, cur.Add(-time.Nanosecond))
	if r.CreatedAt.Before(cur) && (r.LastInspectedAt == nil || r.LastInspectedAt.Before(prev)) {
		return "overdue", cur
	}
	return "due", cur
}

// DueItem is a place's checklist not yet done this period: due, or overdue
// when the whole previous period passed without one as well.
type DueItem struct {
	store.PlaceSchedule
	State       string    `json:"state"`
	PeriodStart time.Time `json:"period_start"`
}

// Due lists the due and overdue inspections of a unit's places, or of the
// places a staff member is responsible for (within p's scope).
func (s *Service) Due(ctx context.Context, p auth.Principal, code string, staff int64) ([]DueItem, error) {
	f := store.ScheduleFilter{StaffID: staff}
	if staff == 0 || code != "" {
		prefix, err := scope(p, code)
		if err != nil {
			return nil, err
		}
		f.Prefix = prefix
	} else if p.Unit != "" {
		f.Prefix = Prefix(p.Unit)
	}
	if staff < 0 {
		return nil, apperr.New(apperr.ErrInvalid, "staff %d: want a staff id", staff)
	}
	rows, err := s.Store.PlaceSchedules(ctx, f)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []DueItem{}
	for _, r := range rows {
		if state, cur := classify(r, now); state != "done" {
			out = append(out, DueItem{PlaceSchedule: r, State: state, PeriodStart: cur})
		}
	}
	return out, nil
}

// Stats is what the leader display shows of a unit: hazards by state and
// severity, and the share of places' checklists kept on schedule (not overdue).
type Stats struct {
	Hazards    map[string]int `json:"hazards"` // "open/major" → n
	Checklists int            `json:"checklists"`
	OnSchedule int            `json:"on_schedule"`
	Share      *float64       `json:"share_on_schedule"` // null without places
}

// UnitStats computes Stats for a unit in p's scope.
func (s *Service) UnitStats(ctx context.Context, p auth.Principal, code string) (Stats, error) {
	prefix, err := scope(p, code)
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	if st.Hazards, err = s.Store.HazardCounts(ctx, prefix); err != nil {
		return st, err
	}
	rows, err := s.Store.PlaceSchedules(ctx, store.ScheduleFilter{Prefix: prefix})
	if err != nil {
		return st, err
	}
	now := s.now()
	for _, r := range rows {
		st.Checklists++
		if state, _ := classify(r, now); state != "overdue" {
			st.OnSchedule++
		}
	}
	if st.Checklists > 0 {
		share := float64(st.OnSchedule) / float64(st.Checklists)
		st.Share = &share
	}
	return st, nil
}
