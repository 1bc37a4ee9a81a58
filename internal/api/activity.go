package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/unit"
)

// gridActivity answers GET /api/grids/{code}/activity: open incidents by
// type and the grid workers' patrols (last fix, minutes in 30 days), for the
// grid's card. Counts only, no personal data, but field activity: roles that
// read incidents, inside their scope (auth's rule).
func (s *Server) gridActivity(c echo.Context) error {
	code := c.Param("code")
	if !unit.IsUnitCode(code) {
		return apperr.New(apperr.ErrInvalid, "code %q: want a 12-, 15- or 18-digit unit code", code)
	}
	if err := authorize(c, auth.ReadIncidents, code); err != nil {
		return err
	}
	a, err := s.opt.Store.Activity(c.Request().Context(), code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
