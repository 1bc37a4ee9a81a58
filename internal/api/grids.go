package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// listGrids answers GET /api/grids?level=&parent=&bbox= with a streamed
// GeoJSON FeatureCollection (grid level by default).
func (s *Server) listGrids(c echo.Context) error {
	f := store.UnitFilter{Level: unit.LevelGrid}
	q := c.QueryParams()
	if v := q.Get("level"); v != "" {
		lv, err := unit.ParseLevel(v)
		if err != nil {
			return err
		}
		f.Level = lv
	}
	if v := q.Get("parent"); v != "" {
		if !unit.IsUnitCode(v) {
			return apperr.New(apperr.ErrInvalid, "parent %q: want a 12-, 15- or 18-digit unit code", v)
		}
		f.Parent = v
	}
	if v := q.Get("bbox"); v != "" {
		b, err := ParseBBox(v)
		if err != nil {
			return err
		}
		f.BBox = &b
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	// The store checks the parent before writing, so errors still get the JSON shape.
	return s.opt.Store.StreamUnits(c.Request().Context(), f, &lazyWriter{c: c})
}

// getGrid answers GET /api/grids/{code} for a unit of any level.
func (s *Server) getGrid(c echo.Context) error {
	code := c.Param("code")
	if !unit.IsUnitCode(code) {
		return apperr.New(apperr.ErrInvalid, "code %q: want a 12-, 15- or 18-digit unit code", code)
	}
	f, err := s.opt.Store.Unit(c.Request().Context(), code)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/geo+json", f)
}

// ParseBBox reads "minLon,minLat,maxLon,maxLat" in WGS-84 degrees.
func ParseBBox(s string) ([4]float64, error) {
	var b [4]float64
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return b, apperr.New(apperr.ErrInvalid, "bbox %q: want minLon,minLat,maxLon,maxLat", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return b, apperr.New(apperr.ErrInvalid, "bbox %q: %q is not a number", s, p)
		}
		b[i] = v
	}
	switch {
	case b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90:
		return b, apperr.New(apperr.ErrInvalid, "bbox %q: outside WGS-84 longitude/latitude range", s)
	case b[0] > b[2] || b[1] > b[3]:
		return b, apperr.New(apperr.ErrInvalid, "bbox %q: min is greater than max", s)
	}
	return b, nil
}

// lazyWriter commits the 200 status only on the first write, so an error
// found before any output still becomes a JSON error response.
type lazyWriter struct {
	c       echo.Context
	started bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(p)
}

// searchGrids answers GET /api/grids/search?q=&limit=: streets, communities
// and grids by name or code, the caller's own first.
func (s *Server) searchGrids(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if q == "" || utf8.RuneCountInString(q) > 100 {
		return apperr.New(apperr.ErrInvalid, "q: want 1–100 characters of a name or code")
	}
	limit := 10
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxUnitSearch {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–%d", v, store.MaxUnitSearch)
		}
		limit = n
	}
	hits, err := s.opt.Read.SearchUnits(c.Request().Context(), q, principal(c).Unit, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"query": q, "results": hits})
}
