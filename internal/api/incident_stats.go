package api

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// incidentStats answers GET /api/incidents/stats?from=&to=&format=json|csv|xlsx
// for the caller's units: counts by state, category and level, overdue,
// closure rate, mean and p90 handling time, invalid rate per reporter.
func (s *Server) incidentStats(c echo.Context) error {
	p := principal(c)
	to := time.Now()
	from := to.AddDate(0, -1, 0)
	var err error
	if v := c.QueryParam("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return apperr.New(apperr.ErrInvalid, "from %q: want an RFC 3339 time", v)
		}
	}
	if v := c.QueryParam("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return apperr.New(apperr.ErrInvalid, "to %q: want an RFC 3339 time", v)
		}
	}
	if !to.After(from) || to.Sub(from) > 5*366*24*time.Hour {
		return apperr.New(apperr.ErrInvalid, "want from before to, at most five years apart")
	}
	scope := ""
	if p.Unit != "" {
		scope = p.Unit[:unit.PrefixLen(p.Unit)]
	}
	st, err := s.opt.Store.IncidentStats(c.Request().Context(), scope, from, to)
	if err != nil {
		return err
	}
	if f := c.QueryParam("format"); f == "" || f == "json" {
		return c.JSON(http.StatusOK, st)
	}
	return tableAnswer(c, c.QueryParam("format"), "incident-stats", statRows(st), 2)
}

// statRows flattens the figures as (section, key, value[, more]) rows.
func statRows(st store.IncidentStats) [][]string {
	rows := [][]string{{"section 分类", "key 项", "value 值", "invalid 作废", "invalid_rate 作废率"}}
	add := func(section string, m map[string]int) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			rows = append(rows, []string{section, k, strconv.Itoa(m[k])})
		}
	}
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 2, 64)
	}
	rows = append(rows, []string{"total", "cases", strconv.Itoa(st.Total)},
		[]string{"total", "overdue", strconv.Itoa(st.Overdue)},
		[]string{"total", "closure_rate", strconv.FormatFloat(st.ClosureRate, 'f', 4, 64)},
		[]string{"total", "mean_hours", f(st.MeanHours)}, []string{"total", "p90_hours", f(st.P90Hours)})
	add("state", st.ByState)
	add("category", st.ByCategory)
	add("level", st.ByLevel)
	for _, r := range st.Reporters {
		rows = append(rows, []string{"reporter", r.Username, strconv.Itoa(r.Reports), strconv.Itoa(r.Invalid),
			strconv.FormatFloat(r.InvalidRate, 'f', 4, 64)})
	}
	// Every row as wide as the header: CSV readers (RFC 4180, Go's
	// encoding/csv) refuse a file whose rows differ in length.
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}
