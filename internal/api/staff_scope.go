package api

import (
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
)

// authorizeStaffer checks that the caller may manage staff member id: the
// person works (or is asked to work) in a unit inside the caller's scope, or
// in none yet (just created: any staff manager may assign them). A person
// has no unit of their own, so auth's scope rule applies through their
// assignments. It runs before the body is read.
func (s *Server) authorizeStaffer(c echo.Context, id int64) error {
	units, err := s.opt.Store.StaffUnits(c.Request().Context(), id)
	if err != nil {
		return err
	}
	p := principal(c)
	if len(units) == 0 {
		return nil
	}
	for _, u := range units {
		if p.Can(auth.ManageStaff, u) {
			return nil
		}
	}
	return apperr.New(apperr.ErrForbidden, "%s %s may not %s: staff member %d works outside your units", p.Role, p.Username, auth.ManageStaff, id)
}
