package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/store"
)

// changeTypes are the feed's types (the CHECK of change_feed.type).
var changeTypes = []string{"unit", "grid_staff", "staff_assignment", "incident", "visit", "hazard"}

// listChanges answers GET /api/changes?after=CURSOR&types=a,b&limit=N: the
// committed changes after CURSOR inside the caller's unit, oldest first, and
// "next", the cursor to send on the next call (the same one when nothing new).
func (s *Server) listChanges(c echo.Context) error {
	q := c.QueryParams()
	cur, err := store.ParseChangeCursor(q.Get("after"))
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "after: %v", err)
	}
	f := store.ChangeFilter{Limit: 100}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–1000", v)
		}
	}
	if v := q.Get("types"); v != "" {
		for _, t := range strings.Split(v, ",") {
			if !slices.Contains(changeTypes, t) {
				return apperr.New(apperr.ErrInvalid, "types: %q is not one of %s", t, strings.Join(changeTypes, ", "))
			}
			f.Types = append(f.Types, t)
		}
	}
	f.Prefix = scopePrefix(principal(c))
	if sys, ok := c.Get(systemCtxKey).(store.System); ok {
		// A system reads only its types: what it asks for among them, or all of them.
		if len(f.Types) == 0 {
			f.Types = sys.Types
		}
		for _, t := range f.Types {
			if !slices.Contains(sys.Types, t) {
				return apperr.New(apperr.ErrForbidden, "types: this system may read %s, not %q", strings.Join(sys.Types, ", "), t)
			}
		}
	}
	list, err := s.opt.Store.ChangesAfter(c.Request().Context(), cur, f)
	if err != nil {
		return err
	}
	next := cur.String()
	if len(list) > 0 {
		next = list[len(list)-1].Cursor
	}
	return c.JSON(http.StatusOK, map[string]any{"changes": list, "next": next})
}

// changeFeedRoutes: the change feed for other systems (issue 21); field
// activity, so bound to the caller's unit like incidents.
func (s *Server) changeFeedRoutes(api *echo.Group) {
	api.GET("/changes", s.listChanges, s.mayReadChanges()...)
	s.systemRoutes(api)
}
