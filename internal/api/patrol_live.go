package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/tilecache"
	unitcode "wangge/internal/unit"
)

// maxTracksPerTile bounds a track tile: a city's 5,000 workers over a few
// days already draw as a smear at low zooms.
const maxTracksPerTile = 5000

// patrolTile answers GET /api/patrol/tiles/{z}/{x}/{y}.mvt?worker=|grid=&from=&to=:
// the day tracks as a vector tile (layer "tracks": worker, name, day,
// distance_m, patrol_seconds, colour 0–11), simplified for the zoom.
func (s *Server) patrolTile(c echo.Context) error {
	z, x, y, err := tileCoords(c, ".mvt")
	if err != nil {
		return err
	}
	q, err := s.patrolSubject(c)
	if err != nil {
		return err
	}
	if q.From, q.To, err = patrolPeriod(c); err != nil {
		return err
	}
	// Cached under the generation of the days it draws: a sweep that
	// recomputes one of them moves the generation, and old entries age out.
	ctx := c.Request().Context()
	gen, err := s.opt.Store.PatrolTracksVersion(ctx, q)
	if err != nil {
		return err
	}
	key := tilecache.Key{Layer: fmt.Sprintf("tracks|%d|%s|%s|%s|%d", q.UserID, q.Unit, q.From, q.To, gen.UnixNano()),
		Z: uint8(z), X: uint32(x), Y: uint32(y)}
	e, err := s.opt.Map.Cache().GetOrRender(key, func() ([]byte, error) {
		return s.opt.Store.PatrolTile(ctx, z, x, y, q, maxTracksPerTile)
	})
	if err != nil {
		return err
	}
	return writeTile(c, e, trackTileCacheControl)
}

// The browser may reuse a track tile for a minute: the sweep runs every five.
var trackTileCacheControl = []string{"private, max-age=60"}

// patrolPositions answers GET /api/patrol/positions?unit=&max_age_s=: the
// last fix of each worker patrolling within the unit, with its age,
// leaving out fixes older than max_age_s (at most the configured limit).
func (s *Server) patrolPositions(c echo.Context) error {
	unit := c.QueryParam("unit")
	if !unitcode.IsUnitCode(unit) {
		return apperr.New(apperr.ErrInvalid, "unit %q: want a unit code", unit)
	}
	if err := authorize(c, auth.ReadPatrol, unit); err != nil {
		return err
	}
	limit := s.opt.PositionMaxAge
	age, err := floatParam(c, "max_age_s", limit.Seconds(), 1, limit.Seconds())
	if err != nil {
		return err
	}
	now := time.Now()
	if s.opt.Clock != nil {
		now = s.opt.Clock()
	}
	ps, err := s.opt.Store.PatrolPositions(c.Request().Context(), unit, now, time.Duration(age*float64(time.Second)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"as_of": now, "max_age_s": age, "positions": ps})
}
