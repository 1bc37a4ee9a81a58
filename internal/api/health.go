package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/migrate"
)

// healthz says the process is up; it never touches the database.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says the database answers and its schema is current.
func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.opt.Store.Ping(ctx); err != nil {
		return apperr.New(apperr.ErrUnavailable, "database unreachable")
	}
	if err := migrate.Current(ctx, s.opt.Store.Pool()); err != nil {
		return apperr.New(apperr.ErrUnavailable, "%v", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"status": "ready", "schema_version": migrate.Latest()})
}

// clientConfig tells the front end what it may not hard-code (basemap URL).
func (s *Server) clientConfig(c echo.Context) error {
	url := s.opt.BasemapURL
	if s.basemap != nil { // a GCJ-02 basemap comes shifted onto WGS-84 from this server
		url = s.baseURL(c) + "/tiles/basemap/{z}/{x}/{y}.png" + keyQuery(c)
	}
	return c.JSON(http.StatusOK, map[string]any{"basemap_url": url})
}
