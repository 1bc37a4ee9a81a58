package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/auth"
)

// mayEdit is may for writes to units and staff: their answer also waits
// until this instance's tiles and lookups hold the write (readYourWrites).
func (s *Server) mayEdit(a auth.Action) []echo.MiddlewareFunc {
	return append(s.may(a), markEdit)
}

const editKey = "wangge.edit"

func markEdit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(editKey, true)
		return next(c)
	}
}

// syncWait bounds readYourWrites' wait.
const syncWait = 3 * time.Second

// readYourWrites holds a successful write's answer until what it wrote is
// what this instance reads: the replica has replayed it (Read.CaughtUp;
// nothing to wait for without one), and for edits (mayEdit) the map tiles
// and lookups have applied it (mapdata.Sync, lookup.Sync: a few
// milliseconds), so the writer's next tile, /api/locate or report shows
// what it saved, and it fetches the touched tiles once, after the purge.
// Past syncWait the answer goes anyway. Dry runs change nothing.
func (s *Server) readYourWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		res := c.Response()
		res.Before(func() {
			if dry, _ := strconv.ParseBool(c.QueryParam("dry_run")); dry || res.Status >= 300 {
				return
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), syncWait)
			defer cancel()
			if edit, _ := c.Get(editKey).(bool); edit {
				if err := s.opt.Map.Sync(ctx); err != nil {
					s.opt.Logger.Warn("write answered before the tile cache caught up", "path", c.Path(), "err", err)
				}
				if err := s.opt.Lookup.Sync(ctx); err != nil {
					s.opt.Logger.Warn("write answered before the lookup caught up", "path", c.Path(), "err", err)
				}
			}
			if err := s.opt.Read.CaughtUp(ctx); err != nil {
				s.opt.Logger.Warn("write answered before the replica caught up", "path", c.Path(), "err", err)
			}
		})
		return next(c)
	}
}
