package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
)

// statsRoutes: the kept counts per unit (issue #22).
func (s *Server) statsRoutes(api *echo.Group) {
	api.GET("/reports/unit-stats", s.unitStats, s.may(auth.ReadStats)...)
}

// unitStats answers GET /api/reports/unit-stats?unit=CODE: the unit's totals
// and one row per child (a district's streets, a street's communities, a
// community's grids). No unit: the caller's own.
func (s *Server) unitStats(c echo.Context) error {
	c.QueryParams().Set("parent", c.QueryParam("unit"))
	scope, _, err := s.reportScope(c)
	if err != nil {
		return err
	}
	if scope == "" {
		return apperr.New(apperr.ErrInvalid, "unit: a unit code is required")
	}
	self, children, err := store.UnitStats(c.Request().Context(), s.opt.Read.Pool(), scope)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unit": self, "children": children})
}
