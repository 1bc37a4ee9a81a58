package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/ingest"
)

// addPatrolFixes answers POST /api/patrol/points: a grid worker's device
// uploads a batch of GPS fixes. A bad batch is refused whole (nothing
// stored); a retried batch stores nothing twice.
func (s *Server) addPatrolFixes(c echo.Context) error {
	p := principal(c)
	if len(p.Unit) < 6 {
		return apperr.New(apperr.ErrInvalid, "user %s belongs to no region: patrols are recorded per region", p.Username)
	}
	fixes, err := ingest.ParseGPSBatch(c.Request().Body, time.Now())
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return apperr.New(apperr.ErrTooLarge, "batch too large")
		}
		var be *ingest.BatchError
		if errors.As(err, &be) {
			return apperr.WithDetails(apperr.ErrInvalid, map[string]int{"index": be.Index}, "%v", be)
		}
		return err
	}
	added, err := s.opt.Store.AddFixes(c.Request().Context(), p.Unit[:6], p.UserID, fixes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"received": len(fixes), "stored": added, "duplicates": len(fixes) - added})
}
