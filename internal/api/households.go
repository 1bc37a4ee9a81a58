package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/privacy"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// listHouseholds answers GET /api/households?grid=CODE&page=&per_page=
// with the grid's households, personal fields masked; &unmask=1&reason=…
// returns them in clear to a principal allowed to unmask that grid and
// records the disclosure in the audit log in the same transaction.
func (s *Server) listHouseholds(c echo.Context) error {
	q := c.QueryParams()
	grid := q.Get("grid")
	if !unit.IsGridCode(grid) {
		return apperr.New(apperr.ErrInvalid, "grid %q: want a 15-digit grid code", grid)
	}
	if err := authorize(c, auth.ReadHouseholds, grid); err != nil {
		return err
	}
	p := store.HouseholdPage{Grid: grid, Page: 1, PerPage: 50}
	var err error
	if v := q.Get("page"); v != "" {
		if p.Page, err = strconv.Atoi(v); err != nil || p.Page < 1 || p.Page > 1000000 {
			return apperr.New(apperr.ErrInvalid, "page %q: want 1 or more", v)
		}
	}
	if v := q.Get("per_page"); v != "" {
		if p.PerPage, err = strconv.Atoi(v); err != nil || p.PerPage < 1 || p.PerPage > 500 {
			return apperr.New(apperr.ErrInvalid, "per_page %q: want 1–500", v)
		}
	}
	unmask := false
	switch v := q.Get("unmask"); v {
	case "", "0", "false":
	case "1", "true":
		unmask = true
	default:
		return apperr.New(apperr.ErrInvalid, "unmask %q: want 1 or 0", v)
	}
	ctx := c.Request().Context()
	var hs []store.Household
	var total int
	if unmask {
		if err := authorize(c, auth.Unmask, grid); err != nil {
			return err
		}
		reason := strings.TrimSpace(q.Get("reason"))
		if reason == "" {
			return apperr.New(apperr.ErrInvalid, "unmask needs a reason (it is recorded in the audit log)")
		}
		entry := auditBase(c, "disclose", "household", grid)
		entry.Reason = reason
		hs, total, err = s.opt.Store.DiscloseHouseholds(ctx, p, entry)
	} else {
		hs, total, err = s.opt.Store.GridHouseholds(ctx, p)
	}
	if err != nil {
		return err
	}
	if !unmask {
		for i := range hs {
			hs[i].HeadName = privacy.Name(hs[i].HeadName)
			hs[i].IDNumber = privacy.IDNumber(hs[i].IDNumber)
			hs[i].Phone = privacy.Phone(hs[i].Phone)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{
		"grid": grid, "page": p.Page, "per_page": p.PerPage, "total": total,
		"masked": !unmask, "households": hs,
	})
}
