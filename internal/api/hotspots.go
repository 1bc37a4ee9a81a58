package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/hotspots"
	"wangge/internal/printable"
	"wangge/internal/unit"
	"wangge/internal/workcal"
)

// hotspotRoutes: hotspot maps of incidents (issue #17), as GeoJSON and tiles.
func (s *Server) hotspotRoutes(api *echo.Group) {
	api.GET("/hotspots", s.getHotspots, s.may(auth.ReadStats)...)
	// The map and its statistics for a meeting (PDF, PNG), same query.
	api.GET("/hotspots/report.pdf", s.hotspotReport, s.may(auth.ReadStats)...)
	api.GET("/hotspots/report.png", s.hotspotReport, s.may(auth.ReadStats)...)
	s.echo.GET("/tiles/hotspots/:z/:x/:y", s.getHotspotTile, s.may(auth.ReadStats)...)
}

// hotspotQuery parses the query and checks the parent against the caller's
// scope: outside it 403, unknown 404; no parent means the caller's own unit.
func (s *Server) hotspotQuery(c echo.Context) (hotspots.Query, error) {
	q, err := hotspots.ParseQuery(c.QueryParams(), time.Now())
	if err != nil {
		return q, err
	}
	if q.Parent == "" {
		q.Parent = principal(c).Unit
	}
	if q.Parent == "" {
		return q, apperr.New(apperr.ErrInvalid, "parent: a unit code is required (the study area)")
	}
	if !unit.IsUnitCode(q.Parent) {
		return q, apperr.New(apperr.ErrInvalid, "parent %q: want a 12- or 15-digit unit code", q.Parent)
	}
	if err := authorize(c, auth.ReadStats, q.Parent); err != nil {
		return q, err
	}
	if err := s.opt.Store.UnitExists(c.Request().Context(), q.Parent); err != nil {
		return q, err
	}
	return q, s.hotspots.Check(c.Request().Context(), q)
}

// getHotspots answers GET /api/hotspots?parent=&category=&type=&from=&to=&bins=hex|grid&zoom=&value=count|rate[&format=xlsx].
func (s *Server) getHotspots(c echo.Context) error {
	q, err := s.hotspotQuery(c)
	if err != nil {
		return err
	}
	r, cached, err := s.hotspots.Map(c.Request().Context(), q)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Cache", map[bool]string{true: "hit", false: "miss"}[cached])
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	if c.QueryParam("format") == "xlsx" { // the table, for a meeting (work_reports.go)
		b, err := hotspotXLSX(r.GeoJSON())
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="hotspots.xlsx"`)
		return c.Blob(http.StatusOK, xlsxType, b)
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	return c.JSON(http.StatusOK, r.GeoJSON())
}

// hotspotReport answers GET /api/hotspots/report.pdf and report.png with the
// query of /api/hotspots: the map drawn from the same bins, and the table.
func (s *Server) hotspotReport(c echo.Context) error {
	q, err := s.hotspotQuery(c)
	if err != nil {
		return err
	}
	rep, err := s.hotspots.Report(c.Request().Context(), q, time.Now())
	if err != nil {
		return err
	}
	var b bytes.Buffer
	typ, ext := "application/pdf", "pdf"
	if strings.HasSuffix(c.Path(), ".png") {
		typ, ext = "image/png", "png"
		err = printable.HotspotPNG(&b, rep)
	} else {
		err = printable.HotspotPDF(&b, rep)
	}
	if err != nil {
		return err
	}
	name := fmt.Sprintf("hotspots-%s-%s.%s", q.Parent, q.To.In(workcal.CST).Format("20060102"), ext)
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	return c.Blob(http.StatusOK, typ, b.Bytes())
}

// getHotspotTile answers GET /tiles/hotspots/{z}/{x}/{y}.mvt with the same
// query parameters as /api/hotspots (hexagons sized by the tile's zoom).
func (s *Server) getHotspotTile(c echo.Context) error {
	z, x, y, err := tileCoords(c, ".mvt")
	if err != nil {
		return err
	}
	qp := c.QueryParams()
	qp.Del("zoom") // the tile's zoom decides
	q, err := s.hotspotQuery(c)
	if err != nil {
		return err
	}
	e, err := s.hotspots.Tile(c.Request().Context(), q, z, x, y)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", tileCacheControl)
	h.Set("Vary", "Accept-Encoding")
	gz := acceptsGzip(c.Request().Header.Get("Accept-Encoding"))
	etag, body := e.ETag, e.Data
	if gz {
		etag = e.GzipETag
	}
	h.Set("Etag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if gz {
		body = e.Gzip()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, mvtType, body)
}
