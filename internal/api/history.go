package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// cst is China Standard Time: a bare date means midnight there.
var cst = time.FixedZone("CST", 8*3600)

// parseAsOf reads YYYY-MM-DD (midnight CST) or an RFC 3339 time.
func parseAsOf(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, cst); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", v, cst); err == nil {
		return t, nil
	}
	return time.Time{}, apperr.New(apperr.ErrInvalid, "%s %q: want YYYY-MM-DD or YYYY-MM-DDThh:mm:ss+08:00", name, v)
}

// historyParent reads and authorizes the optional parent.
func historyParent(c echo.Context) (string, error) {
	parent := c.QueryParam("parent")
	if parent == "" {
		return "", nil
	}
	if !unit.IsUnitCode(parent) {
		return "", apperr.New(apperr.ErrInvalid, "parent %q: want a unit code", parent)
	}
	return parent, authorize(c, auth.ReadMap, parent)
}

// gridsAsOf answers GET /api/history/grids?as_of=&parent= with the grid map
// as it was then.
func (s *Server) gridsAsOf(c echo.Context) error {
	v := c.QueryParam("as_of")
	if v == "" {
		return apperr.New(apperr.ErrInvalid, "as_of: required")
	}
	at, err := parseAsOf("as_of", v)
	if err != nil {
		return err
	}
	parent, err := historyParent(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	return s.opt.Store.StreamGridsAsOf(c.Request().Context(), at, parent, &lazyWriter{c: c})
}

// historyDiff answers GET /api/history/diff?from=&to=&parent= with the grids
// added, removed or changed in between (to defaults to now).
func (s *Server) historyDiff(c echo.Context) error {
	from, to, err := timeWindow(c)
	if err != nil {
		return err
	}
	parent, err := historyParent(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	return s.opt.Store.StreamGridsDiff(c.Request().Context(), from, to, parent, &lazyWriter{c: c})
}

// gridVersions answers GET /api/grids/{code}/versions: every version, oldest first.
func (s *Server) gridVersions(c echo.Context) error {
	code := c.Param("code")
	if !unit.IsUnitCode(code) {
		return apperr.New(apperr.ErrInvalid, "code %q: want a unit code", code)
	}
	if err := authorize(c, auth.ReadMap, code); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	return s.opt.Store.StreamGridVersions(c.Request().Context(), code, &lazyWriter{c: c})
}

// historyChanges answers GET /api/history/changes?from=&to=&parent=&limit=:
// every change to a unit in [from, to) (to defaults to now) at its exact
// time, newest first, so today's edits can be seen and stepped through.
func (s *Server) historyChanges(c echo.Context) error {
	from, to, err := timeWindow(c)
	if err != nil {
		return err
	}
	limit := 100
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxUnitChanges {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–%d", v, store.MaxUnitChanges)
		}
		limit = n
	}
	parent, err := historyParent(c)
	if err != nil {
		return err
	}
	changes, err := s.opt.Store.UnitChanges(c.Request().Context(), from, to, parent, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"from": from, "to": to, "changes": changes})
}

// timeWindow reads from (required) and to (default now) of a history
// question; to before from is refused.
func timeWindow(c echo.Context) (from, to time.Time, err error) {
	if from, err = parseAsOf("from", c.QueryParam("from")); err != nil {
		return
	}
	to = time.Now()
	if v := c.QueryParam("to"); v != "" {
		if to, err = parseAsOf("to", v); err != nil {
			return
		}
	}
	if to.Before(from) {
		err = apperr.New(apperr.ErrInvalid, "to is before from")
	}
	return
}
