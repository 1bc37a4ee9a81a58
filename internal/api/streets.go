package api

import (
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/basemap"
	"wangge/internal/store"
)

var regionRE = regexp.MustCompile(`^[0-9]{6}$`)

// importStreets answers POST /api/streets/import?region=NNNNNN: the
// district's street network (lines).
func (s *Server) importStreets(c echo.Context) error { return s.importBase(c, store.BaseStreets) }

// importWater answers POST /api/water/import?region=NNNNNN: the district's
// rivers, canals and lakes (lines and areas).
func (s *Server) importWater(c echo.Context) error { return s.importBase(c, store.BaseWater) }

// importBase replaces a district's base map table from a GeoJSON
// FeatureCollection or zipped Shapefile, as the body or a multipart "file"
// (source_crs: wgs84, cgcs2000, gcj02, bd09), all or nothing.
func (s *Server) importBase(c echo.Context, table string) error {
	region := c.QueryParam("region")
	if !regionRE.MatchString(region) {
		return apperr.New(apperr.ErrInvalid, "region %q: want the district's 6-digit region code", region)
	}
	if err := authorize(c, auth.EditBoundaries, region+"000000"); err != nil {
		return err
	}
	source := crs.WGS84
	if v := c.QueryParam("source_crs"); v != "" {
		var err error
		if source, err = crs.Parse(v); err != nil {
			return apperr.New(apperr.ErrInvalid, "source_crs %q: want wgs84, cgcs2000, gcj02 or bd09", v)
		}
	}
	var rd io.Reader = c.Request().Body
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "multipart/") {
		fh, err := c.FormFile("file")
		if err != nil {
			return apperr.New(apperr.ErrInvalid, "want the GeoJSON or zipped Shapefile in field \"file\"")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		rd = f
	}
	data, err := io.ReadAll(rd) // bounded by the server's body limit
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "reading the file: %v", err)
	}
	fs, err := basemap.Decode(c.Request().Context(), data, table, source)
	if err != nil {
		return err
	}
	before, err := s.opt.Store.ReplaceBase(c.Request().Context(), table, region, fs, auditBase(c, "import", table, region))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"region": region, "features": len(fs), "replaced": before})
}
