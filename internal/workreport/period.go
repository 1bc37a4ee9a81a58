// Package workreport computes the periodic work reports the grid schemes ask
// for (工作月报/季报): per child unit of a street or community and in total,
// the cases, patrol hours, visits, hazards and the changes to grids and staff
// in a month or a quarter (China time), from the records; and renders them
// as XLSX (excelize) and PDF (fpdf with the printable package's CJK font).
package workreport

import (
	"regexp"
	"strconv"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/workcal"
)

// Period is a month (2026-11) or a quarter (2026-Q4), [From, To) in China time.
type Period struct {
	Label    string    `json:"label"`
	From, To time.Time `json:"-"`
}

var (
	monthRE   = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])$`)
	quarterRE = regexp.MustCompile(`^(\d{4})-Q([1-4])$`)
)

// ParsePeriod reads YYYY-MM or YYYY-Qn; a period that starts after now is
// refused (a report of the future has no records).
func ParsePeriod(s string, now time.Time) (Period, error) {
	var y, m, months int
	if g := monthRE.FindStringSubmatch(s); g != nil {
		y, _ = strconv.Atoi(g[1])
		m, _ = strconv.Atoi(g[2])
		months = 1
	} else if g := quarterRE.FindStringSubmatch(s); g != nil {
		y, _ = strconv.Atoi(g[1])
		q, _ := strconv.Atoi(g[2])
		m, months = 3*q-2, 3
	} else {
		return Period{}, apperr.New(apperr.ErrInvalid, "period %q: want a month YYYY-MM or a quarter YYYY-Qn", s)
	}
	from := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, workcal.CST)
	if from.After(now) {
		return Period{}, apperr.New(apperr.ErrInvalid, "period %s is in the future", s)
	}
	return Period{Label: s, From: from, To: from.AddDate(0, months, 0)}, nil
}
