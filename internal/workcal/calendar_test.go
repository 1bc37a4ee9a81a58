package workcal

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

// A unit's settings: its week and hours replace the defaults, its own days
// override its region's, and bad settings are refused with the reason.
func TestParseSettings(t *testing.T) {
	region := map[string]bool{"2026-10-01": false}
	c, err := Parse([]byte(`{"week":[1,2,3,4,5,6],"hours":[["08:00","12:00"],["14:00","18:00"]],"closed":["2026-10-07"],"open":["2026-10-01"]}`), region)
	if err != nil {
		t.Fatal(err)
	}
	// Friday 17:00 + 3h: an hour on Friday, Saturday works from 08:00.
	if got, _ := c.Add(cst("2026-10-09 17:00"), 3*time.Hour); !got.Equal(cst("2026-10-10 10:00")) {
		t.Errorf("six-day week: %s, want Saturday 10:00", got.In(CST))
	}
	if !c.Workday(cst("2026-10-01 10:00")) || c.Workday(cst("2026-10-07 10:00")) {
		t.Error("the unit's own open and closed days do not override its region's")
	}
	if n := c.WorkDays(cst("2026-10-01 00:00"), cst("2026-11-01 00:00")); n != 26 {
		t.Errorf("October: %d working days, want 26 (27 Monday–Saturday, 7 October closed)", n)
	}
	def, err := Parse(nil, nil)
	if err != nil || def.WorkDays(cst("2026-10-01 00:00"), cst("2026-11-01 00:00")) != 22 {
		t.Errorf("default calendar: %v, want 22 working days in October", err)
	}
	if got, _ := def.Add(cst("2026-10-12 11:00"), 2*time.Hour); !got.Equal(cst("2026-10-12 14:30")) {
		t.Errorf("default hours: %s, want 14:30 (the lunch break is not working time)", got.In(CST))
	}
	for _, bad := range []string{
		`{"week":[0]}`, `{"week":[1,1]}`, `{"week":[]}`, `{"hours":[["12:00","09:00"]]}`,
		`{"hours":[["09:00","12:00"],["11:00","13:00"]]}`, `{"hours":[["9am","12:00"]]}`, `{"hours":[]}`,
		`{"closed":["2026-13-01"]}`, `{"week":"weekdays"}`, `[1]`,
	} {
		if _, err := Parse([]byte(bad), nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
