package incidents

import (
	"fmt"
	"time"
)

// CST is China Standard Time: the zone working days and hours are counted in.
var CST = time.FixedZone("CST", 8*3600)

// Working hours of a working day, 09:00–12:00 and 13:30–18:30 (CST): eight
// hours, the 8 of a "working day" in category limits.
var workSpans = [][2]time.Duration{
	{9 * time.Hour, 12 * time.Hour},
	{13*time.Hour + 30*time.Minute, 18*time.Hour + 30*time.Minute},
}

// maxDays bounds every walk over the calendar: no limit is longer than 2000
// working hours (250 working days), which a year and a half always holds.
const maxDays = 550

// Calendar is a region's working calendar: Monday–Friday work unless Days
// says otherwise (holidays false, 调休 weekend workdays true), keyed by
// "2006-01-02" in CST.
type Calendar struct {
	Days map[string]bool
}

// Workday reports whether the CST day of t is a working day.
func (c Calendar) Workday(t time.Time) bool {
	t = t.In(CST)
	if w, ok := c.Days[t.Format(time.DateOnly)]; ok {
		return w
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
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
			for _, s := range workSpans {
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
	return time.Time{}, fmt.Errorf("incidents: calendar: no %s of working time within %d days of %s", d, maxDays, t)
}

// Between returns the working time in [a, b); zero when b is not after a.
// Only maxDays days are walked, enough for any limit.
func (c Calendar) Between(a, b time.Time) time.Duration {
	var sum time.Duration
	day := midnight(a)
	for i := 0; i < maxDays && day.Before(b); i++ {
		if c.Workday(day) {
			for _, s := range workSpans {
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
