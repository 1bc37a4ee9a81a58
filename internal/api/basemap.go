package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/rastershift"
)

// getBasemapTile answers GET /tiles/basemap/{z}/{x}/{y}.png: the configured
// GCJ-02 raster basemap (WANGGE_BASEMAP_CRS=gcj02) cut to the WGS-84 tile
// grid, so it lies under the grids where they are (internal/rastershift).
func (s *Server) getBasemapTile(c echo.Context) error {
	if s.basemap == nil {
		return apperr.New(apperr.ErrNotFound, "no GCJ-02 basemap is configured (WANGGE_BASEMAP_URL with WANGGE_BASEMAP_CRS=gcj02)")
	}
	z, x, y, err := tileCoords(c, ".png")
	if err != nil {
		return err
	}
	e, err := s.basemap.Tile(c.Request().Context(), z, x, y)
	if errors.Is(err, rastershift.ErrTile) {
		return apperr.New(apperr.ErrInvalid, "tile %d/%d/%d: z from 0 to 22, x and y below 2^z", z, x, y)
	}
	if err != nil {
		return apperr.New(apperr.ErrUnavailable, "the basemap service: %v", err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", e.ETag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), e.ETag) {
		return c.NoContent(http.StatusNotModified)
	}
	h.Set("Content-Length", strconv.Itoa(len(e.Data)))
	return c.Blob(http.StatusOK, "image/png", e.Data)
}
