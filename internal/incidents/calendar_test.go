package incidents

import (
	"testing"
	"time"
)

func cst(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, CST)
	if err != nil {
		panic(err)
	}
	return t
}

// National Day 2026 as a calendar: 1–2 October off, Saturday 10 October a
// 调休 workday.
var national = Calendar{Days: map[string]bool{"2026-10-01": false, "2026-10-02": false, "2026-10-10": true}}

func TestCalendarAddCountsHolidaysAndMakeUpWorkdays(t *testing.T) {
	cases := []struct {
		cal   Calendar
		start string
		hours float64
		want  string
	}{
		// Friday 16:00 + 8h: 2.5h on Friday, then the 调休 Saturday 09:00–12:00, 13:30–16:00.
		{national, "2026-10-09 16:00", 8, "2026-10-10 16:00"},
		// Without the 调休 the same limit ends on Monday.
		{Calendar{}, "2026-10-09 16:00", 8, "2026-10-12 16:00"},
		// Wednesday 18:00 + 2h: half an hour, two holidays, a weekend, then Monday.
		{national, "2026-09-30 18:00", 2, "2026-10-05 10:30"},
		// Lunch is not working time; a start at night counts from 09:00.
		{Calendar{}, "2026-10-12 11:00", 2, "2026-10-12 14:30"},
		{Calendar{}, "2026-10-12 22:00", 1, "2026-10-13 10:00"},
		// A start on a holiday.
		{national, "2026-10-01 10:00", 1, "2026-10-05 10:00"},
	}
	for _, c := range cases {
		got, err := c.cal.Add(cst(c.start), time.Duration(c.hours*float64(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if want := cst(c.want); !got.Equal(want) {
			t.Errorf("%s + %vh = %s, want %s", c.start, c.hours, got.In(CST).Format("2006-01-02 15:04 Mon"), c.want)
		}
		if back := c.cal.Between(cst(c.start), got); back != time.Duration(c.hours*float64(time.Hour)) {
			t.Errorf("Between(%s, %s) = %s, want %vh", c.start, got.In(CST), back, c.hours)
		}
	}
}

func TestCalendarBoundsLongLimits(t *testing.T) {
	allOff := Calendar{Days: map[string]bool{}}
	for d := cst("2026-01-01 00:00"); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		allOff.Days[d.Format(time.DateOnly)] = false
	}
	if _, err := allOff.Add(cst("2026-01-01 09:00"), time.Hour); err == nil {
		t.Fatal("a calendar without working days gave a deadline")
	}
}
