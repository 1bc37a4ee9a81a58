// Package workcal is the working calendar, the one rule for working time:
// which days are working days (a unit's week, its region's holidays and
// 调休 workdays, the unit's own closures) and which hours of them count.
// Case deadlines, hazard rectification deadlines and the assessment's
// working days are all counted on it.
package workcal

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// CST is China Standard Time, the one zone of every China-time day, month and
// period in wangge (working time, patrol days, reports, assessment months).
var CST = time.FixedZone("CST", 8*3600)

// DefaultSpans are the working hours of a working day unless a unit sets
// its own, 09:00–12:00 and 13:30–18:30 (CST): eight hours, the 8 of a
// "working day" in category limits.
var DefaultSpans = [][2]time.Duration{
	{9 * time.Hour, 12 * time.Hour},
	{13*time.Hour + 30*time.Minute, 18*time.Hour + 30*time.Minute},
}

// maxDays bounds every walk over the calendar: no limit is longer than 2000
// working hours (250 working days), which a year and a half always holds.
const maxDays = 550

// Calendar is a unit's working calendar: the days of Week work (Monday to
// Friday when Week is empty) unless Days says otherwise (holidays false,
// 调休 weekend workdays true, keyed by "2006-01-02" in CST), during Spans
// (DefaultSpans when empty).
type Calendar struct {
	Days  map[string]bool
	Week  []time.Weekday
	Spans [][2]time.Duration
}

func (c Calendar) spans() [][2]time.Duration {
	if len(c.Spans) == 0 {
		return DefaultSpans
	}
	return c.Spans
}

// Workday reports whether the CST day of t is a working day.
func (c Calendar) Workday(t time.Time) bool {
	t = t.In(CST)
	if w, ok := c.Days[t.Format(time.DateOnly)]; ok {
		return w
	}
	wd := t.Weekday()
	if len(c.Week) == 0 {
		return wd != time.Saturday && wd != time.Sunday
	}
	return slices.Contains(c.Week, wd)
}

// WorkDays counts the working days in [from, to), CST days.
func (c Calendar) WorkDays(from, to time.Time) int {
	n := 0
	for d, i := midnight(from), 0; d.Before(to) && i < 4*maxDays; d, i = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, CST), i+1 {
		if c.Workday(d) {
			n++
		}
	}
	return n
}

func midnight(t time.Time) time.Time {
	t = t.In(CST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, CST)
}

// Add returns the moment d working time after t. A start outside working
// hours counts from the next working moment; d <= 0 returns t.
func (c Calendar) Add(t time.Time, d time.Duration) (time.Time, error) {
	if d <= 0 {
		return t, nil
	}
	day := midnight(t)
	for i := 0; i < maxDays; i++ {
		if c.Workday(day) {
			for _, s := range c.spans() {
				from, to := day.Add(s[0]), day.Add(s[1])
				if t.After(from) {
					from = t
				}
				if !from.Before(to) {
					continue
				}
				if avail := to.Sub(from); d <= avail {
					return from.Add(d), nil
				} else {
					d -= avail
				}
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, CST)
	}
	return time.Time{}, fmt.Errorf("workcal: no %s of working time within %d days of %s", d, maxDays, t)
}

// Between returns the working time in [a, b); zero when b is not after a.
// Only maxDays days are walked, enough for any limit.
func (c Calendar) Between(a, b time.Time) time.Duration {
	var sum time.Duration
	day := midnight(a)
	for i := 0; i < maxDays && day.Before(b); i++ {
		if c.Workday(day) {
			for _, s := range c.spans() {
				from, to := day.Add(s[0]), day.Add(s[1])
				if a.After(from) {
					from = a
				}
				if b.Before(to) {
					to = b
				}
				if from.Before(to) {
					sum += to.Sub(from)
				}
			}
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, CST)
	}
	return sum
}

// Settings is a unit's calendar as kept in its settings (PUT
// /api/units/{code}/settings "calendar"), inherited down the tree:
//
//	{"week": [1,2,3,4,5], "hours": [["09:00","12:00"],["13:30","18:30"]],
//	 "closed": ["2026-11-09"], "open": ["2026-11-14"]}
//
// week: ISO weekdays (1 Monday … 7 Sunday); hours: the working spans of a
// day, in order; closed and open: the unit's own days off and extra working
// days, on top of its region's holidays and 调休 workdays.
type Settings struct {
	Week   []int       `json:"week"`
	Hours  [][2]string `json:"hours"`
	Closed []string    `json:"closed"`
	Open   []string    `json:"open"`
}

// DefaultSettings is the calendar of a unit that sets none.
const DefaultSettings = `{"week":[1,2,3,4,5],"hours":[["09:00","12:00"],["13:30","18:30"]],"closed":[],"open":[]}`

// maxListed bounds the days a unit lists (two years of them).
const maxListed = 732

// Parse checks a unit's calendar settings and returns the calendar with the
// region's exceptions (region: holidays false, 调休 true) under the unit's
// own days; null or empty is the default calendar.
func Parse(raw json.RawMessage, region map[string]bool) (Calendar, error) {
	if len(raw) == 0 || string(raw) == "null" {
		raw = json.RawMessage(DefaultSettings)
	}
	var st Settings
	if err := json.Unmarshal(raw, &st); err != nil {
		return Calendar{}, fmt.Errorf("calendar: %v", err)
	}
	c := Calendar{Days: make(map[string]bool, len(region)+len(st.Closed)+len(st.Open))}
	for d, w := range region {
		c.Days[d] = w
	}
	if len(st.Week) > 7 {
		return Calendar{}, fmt.Errorf("calendar: week lists %d days", len(st.Week))
	}
	for _, d := range st.Week {
		if d < 1 || d > 7 {
			return Calendar{}, fmt.Errorf("calendar: week day %d: want 1 (Monday) to 7 (Sunday)", d)
		}
		wd := time.Weekday(d % 7)
		if slices.Contains(c.Week, wd) {
			return Calendar{}, fmt.Errorf("calendar: week day %d twice", d)
		}
		c.Week = append(c.Week, wd)
	}
	if len(st.Week) == 0 && st.Week != nil {
		return Calendar{}, fmt.Errorf("calendar: week has no working day")
	}
	if len(st.Hours) > 4 {
		return Calendar{}, fmt.Errorf("calendar: %d spans of hours; at most 4", len(st.Hours))
	}
	var last time.Duration
	for i, h := range st.Hours {
		from, err1 := clock(h[0])
		to, err2 := clock(h[1])
		if err1 != nil || err2 != nil {
			return Calendar{}, fmt.Errorf("calendar: hours[%d] %q–%q: want HH:MM–HH:MM", i, h[0], h[1])
		}
		if to <= from || from < last {
			return Calendar{}, fmt.Errorf("calendar: hours[%d] %s–%s: spans must run forward, in order, without overlapping", i, h[0], h[1])
		}
		last = to
		c.Spans = append(c.Spans, [2]time.Duration{from, to})
	}
	if st.Hours != nil && len(st.Hours) == 0 {
		return Calendar{}, fmt.Errorf("calendar: hours has no span")
	}
	if len(st.Closed)+len(st.Open) > maxListed {
		return Calendar{}, fmt.Errorf("calendar: %d days listed; at most %d", len(st.Closed)+len(st.Open), maxListed)
	}
	for _, l := range []struct {
		days []string
		work bool
	}{{st.Closed, false}, {st.Open, true}} {
		for _, d := range l.days {
			t, err := time.ParseInLocation(time.DateOnly, d, CST)
			if err != nil {
				return Calendar{}, fmt.Errorf("calendar: day %q: want YYYY-MM-DD", d)
			}
			c.Days[t.Format(time.DateOnly)] = l.work
		}
	}
	return c, nil
}

// clock reads "HH:MM" (00:00–24:00) as the time since midnight.
func clock(s string) (time.Duration, error) {
	if s == "24:00" {
		return 24 * time.Hour, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}
