package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/store"
)

// listAudit answers GET /api/audit?user=&action=&from=&to=&before=&limit=
// for auditors, newest first; "next" is the cursor for the following page.
// The log has no write endpoint: entries are made only by the actions they record.
func (s *Server) listAudit(c echo.Context) error {
	q := c.QueryParams()
	f := store.AuditFilter{Username: q.Get("user"), Action: q.Get("action"), Limit: 100}
	for _, tf := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(tf.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return apperr.New(apperr.ErrInvalid, "%s %q: want an RFC 3339 time such as 2026-11-01T00:00:00+08:00", tf.name, v)
			}
			*tf.dst = &t
		}
	}
	var err error
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–1000", v)
		}
	}
	if v := q.Get("before"); v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID < 1 {
			return apperr.New(apperr.ErrInvalid, "before %q: want an entry id", v)
		}
	}
	entries, err := s.opt.Store.AuditLog(c.Request().Context(), f)
	if err != nil {
		return err
	}
	resp := map[string]any{"entries": entries}
	if len(entries) == f.Limit {
		resp["next"] = entries[len(entries)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}
