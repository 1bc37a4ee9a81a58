package api

import (
	"context"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/auth"
)

// mayEdit is may for writes to units and staff: a successful answer waits
// until this instance's tiles and lookups hold the write (readYourWrites).
func (s *Server) mayEdit(a auth.Action) []echo.MiddlewareFunc {
	return append(s.may(a), s.readYourWrites)
}

// syncWait bounds readYourWrites' wait.
const syncWait = 3 * time.Second

// readYourWrites holds a successful write's answer until this instance's
// map tiles and lookups reflect it (mapdata.Sync, lookup.Sync: a few
// milliseconds), so the writer's next tile or /api/locate shows what it
// saved and fetches the touched tiles once, after the purge. Past syncWait
// the answer goes anyway. Dry runs change nothing and do not wait.
func (s *Server) readYourWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Before(func() {
			if dry, _ := strconv.ParseBool(c.QueryParam("dry_run")); dry || res.Status >= 300 {
				return
			}
			ctx, cancel := context.WithTimeout(c.Request().Context(), syncWait)
			defer cancel()
			if err := s.opt.Map.Sync(ctx); err != nil {
				s.opt.Logger.Warn("write answered before the tile cache caught up", "path", c.Path(), "err", err)
			}
			if err := s.opt.Lookup.Sync(ctx); err != nil {
				s.opt.Logger.Warn("write answered before the lookup caught up", "path", c.Path(), "err", err)
			}
		})
		return next(c)
	}
}
