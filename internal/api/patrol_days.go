package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
	unitcode "wangge/internal/unit"
	"wangge/internal/workcal"
)

// maxPatrolRange bounds a query's days: a quarter at most.
const maxPatrolRange = 92

// patrolPeriod reads from/to (China dates, inclusive; to defaults to from).
func patrolPeriod(c echo.Context) (string, string, error) {
	from, err := time.Parse(time.DateOnly, c.QueryParam("from"))
	if err != nil {
		return "", "", apperr.New(apperr.ErrInvalid, "from %q: want YYYY-MM-DD", c.QueryParam("from"))
	}
	to := from
	if v := c.QueryParam("to"); v != "" {
		if to, err = time.Parse(time.DateOnly, v); err != nil {
			return "", "", apperr.New(apperr.ErrInvalid, "to %q: want YYYY-MM-DD", v)
		}
	}
	if to.Before(from) || to.Sub(from) > maxPatrolRange*24*time.Hour {
		return "", "", apperr.New(apperr.ErrInvalid, "from %s to %s: want from <= to, at most %d days", from.Format(time.DateOnly), to.Format(time.DateOnly), maxPatrolRange)
	}
	return from.Format(time.DateOnly), to.Format(time.DateOnly), nil
}

// patrolSubject reads worker= (a username) or grid= (any unit code) and
// checks the caller may read patrols there.
func (s *Server) patrolSubject(c echo.Context) (store.PatrolDayQuery, error) {
	var q store.PatrolDayQuery
	worker, unit := c.QueryParam("worker"), c.QueryParam("grid")
	switch {
	case worker != "" && unit != "":
		return q, apperr.New(apperr.ErrInvalid, "worker or grid, not both")
	case worker != "":
		id, wunit, err := s.opt.Store.PatrolWorker(c.Request().Context(), worker)
		if err != nil {
			return q, err
		}
		if wunit == "" && principal(c).Unit != "" {
			return q, apperr.New(apperr.ErrForbidden, "worker %s belongs to no unit in your scope", worker)
		}
		if err := authorize(c, auth.ReadPatrol, wunit); err != nil {
			return q, err
		}
		q.UserID = id
	case unit != "":
		if !unitcode.IsUnitCode(unit) {
			return q, apperr.New(apperr.ErrInvalid, "grid %q: want a 12-, 15- or 18-digit unit code", unit)
		}
		if err := authorize(c, auth.ReadPatrol, unit); err != nil {
			return q, err
		}
		q.Unit = unit
	default:
		return q, apperr.New(apperr.ErrInvalid, "worker= or grid= is required")
	}
	return q, nil
}

// floatParam reads an optional number within [lo, hi].
func floatParam(c echo.Context, name string, def, lo, hi float64) (float64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, apperr.New(apperr.ErrInvalid, "%s %q: want a number from %g to %g", name, v, lo, hi)
	}
	return f, nil
}

// patrolDays answers GET /api/patrol/days?worker=|grid=&from=&to=.
func (s *Server) patrolDays(c echo.Context) error {
	q, err := s.patrolSubject(c)
	if err != nil {
		return err
	}
	if q.From, q.To, err = patrolPeriod(c); err != nil {
		return err
	}
	days, err := s.opt.Store.PatrolDays(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"days": days})
}

// patrolTracks answers GET /api/patrol/tracks?worker=|grid=&from=&to=&z=:
// day tracks as GeoJSON, simplified to about a pixel at zoom z.
func (s *Server) patrolTracks(c echo.Context) error {
	q, err := s.patrolSubject(c)
	if err != nil {
		return err
	}
	if q.From, q.To, err = patrolPeriod(c); err != nil {
		return err
	}
	z, err := floatParam(c, "z", 22, 0, 22)
	if err != nil {
		return err
	}
	fc, err := s.opt.Store.PatrolTracks(c.Request().Context(), q, 360/math.Pow(2, math.Floor(z))/512)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fc)
}

// patrolGaps answers GET /api/patrol/gaps?grid=&from=&to=&radius_m=.
func (s *Server) patrolGaps(c echo.Context) error {
	unit, from, to, radius, err := s.gapQuery(c)
	if err != nil {
		return err
	}
	fc, err := s.opt.Store.PatrolGaps(c.Request().Context(), unit, from, to, radius)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fc)
}

// patrolVisits answers GET /api/patrol/visits?grid=&from=&to=&radius_m=&cell_m=.
func (s *Server) patrolVisits(c echo.Context) error {
	unit, from, to, radius, err := s.gapQuery(c)
	if err != nil {
		return err
	}
	cell, err := floatParam(c, "cell_m", 50, 10, 1000)
	if err != nil {
		return err
	}
	fc, err := s.opt.Store.PatrolVisits(c.Request().Context(), unit, from, to, radius, cell)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, fc)
}

func (s *Server) gapQuery(c echo.Context) (unit, from, to string, radius float64, err error) {
	unit = c.QueryParam("grid")
	if !unitcode.IsUnitCode(unit) {
		return "", "", "", 0, apperr.New(apperr.ErrInvalid, "grid %q: want a 12-, 15- or 18-digit unit code", unit)
	}
	if err = authorize(c, auth.ReadPatrol, unit); err != nil {
		return "", "", "", 0, err
	}
	if from, to, err = patrolPeriod(c); err != nil {
		return "", "", "", 0, err
	}
	radius, err = floatParam(c, "radius_m", store.DefaultPatrolParams.CoverageRadius, 1, 500)
	return unit, from, to, radius, err
}

// patrolPlayback answers GET /api/patrol/playback?worker=&date=: the kept
// fixes of one worker-day in time order.
func (s *Server) patrolPlayback(c echo.Context) error {
	if c.QueryParam("worker") == "" {
		return apperr.New(apperr.ErrInvalid, "worker= is required")
	}
	q, err := s.patrolSubject(c)
	if err != nil {
		return err
	}
	date := c.QueryParam("date")
	fixes, err := s.opt.Store.PatrolPlayback(c.Request().Context(), q.UserID, date, store.DefaultPatrolParams)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"worker": c.QueryParam("worker"), "date": date, "fixes": fixes})
}

// patrolSweep answers POST /api/patrol/sweep {"as_of": RFC 3339, "mark_from",
// "mark_to": dates}: computes the changed worker-days as of a time (default
// now); mark_from/mark_to first mark every worker-day with fixes in that
// range (after a bulk load). Safe to repeat.
func (s *Server) patrolSweep(c echo.Context) error {
	var in struct {
		AsOf     *time.Time `json:"as_of"`
		MarkFrom string     `json:"mark_from"`
		MarkTo   string     `json:"mark_to"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	asOf := time.Now()
	if in.AsOf != nil {
		asOf = *in.AsOf
	}
	marked := 0
	if in.MarkFrom != "" || in.MarkTo != "" {
		from, err1 := time.ParseInLocation(time.DateOnly, in.MarkFrom, workcal.CST)
		to, err2 := time.ParseInLocation(time.DateOnly, in.MarkTo, workcal.CST)
		if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > maxPatrolRange*24*time.Hour {
			return apperr.New(apperr.ErrInvalid, "mark_from/mark_to: want two dates YYYY-MM-DD, at most %d days apart", maxPatrolRange)
		}
		n, err := s.opt.Store.MarkPatrolDays(c.Request().Context(), from, to.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		marked = n
	}
	res, err := s.opt.Store.SweepPatrolDays(c.Request().Context(), asOf, store.DefaultPatrolParams, 100000)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"as_of": asOf, "marked": marked, "sweep": res})
}

// putPatrolTarget answers PUT /api/patrol/targets/:code {"daily_hours": 10}.
func (s *Server) putPatrolTarget(c echo.Context) error {
	code := c.Param("code")
	if !unitcode.IsUnitCode(code) {
		return apperr.New(apperr.ErrInvalid, "code %q: want a 12-, 15- or 18-digit unit code", code)
	}
	if err := authorize(c, auth.ManagePatrol, code); err != nil {
		return err
	}
	var in struct {
		DailyHours *float64 `json:"daily_hours"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.DailyHours == nil || math.IsNaN(*in.DailyHours) || *in.DailyHours < 0 || *in.DailyHours > 24 {
		return apperr.New(apperr.ErrInvalid, "daily_hours: want 0–24")
	}
	if err := s.opt.Store.SetPatrolTarget(c.Request().Context(), code, time.Duration(*in.DailyHours*float64(time.Hour))); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unit": code, "daily_hours": *in.DailyHours})
}

// patrolSummary answers GET /api/patrol/summary?unit=&date=: every worker
// under the unit with the day's and the month's patrol time against target,
// and who has not patrolled that day.
func (s *Server) patrolSummary(c echo.Context) error {
	unit := c.QueryParam("unit")
	if !unitcode.IsUnitCode(unit) {
		return apperr.New(apperr.ErrInvalid, "unit %q: want a 12-, 15- or 18-digit unit code", unit)
	}
	if err := authorize(c, auth.ReadPatrol, unit); err != nil {
		return err
	}
	date := c.QueryParam("date")
	if date == "" {
		date = time.Now().In(workcal.CST).Format(time.DateOnly)
	} else if _, err := time.Parse(time.DateOnly, date); err != nil {
		return apperr.New(apperr.ErrInvalid, "date %q: want YYYY-MM-DD", date)
	}
	workers, err := s.opt.Store.PatrolSummary(c.Request().Context(), unit, date)
	if err != nil {
		return err
	}
	idle := []string{}
	for _, w := range workers {
		if w.DaySeconds == 0 {
			idle = append(idle, w.Worker)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"unit": unit, "date": date, "workers": workers, "not_patrolled": idle})
}
