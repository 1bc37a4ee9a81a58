package api

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/layerio"
	"wangge/internal/store"
)

// maxStreetLines bounds a street file: a district's OSM network is tens of
// thousands of ways.
const maxStreetLines = 200000

var regionRE = regexp.MustCompile(`^[0-9]{6}$`)

// importStreets answers POST /api/streets/import?region=NNNNNN with a GeoJSON
// FeatureCollection of LineStrings/MultiLineStrings (the body, or a
// multipart field "file"; properties name/名称 and highway/kind): it becomes
// the region's street network, replacing the one before, for the patrol
// days' share of streets walked (computed as days are swept).
func (s *Server) importStreets(c echo.Context) error {
	region := c.QueryParam("region")
	if !regionRE.MatchString(region) {
		return apperr.New(apperr.ErrInvalid, "region %q: want the district's 6-digit region code", region)
	}
	if err := authorize(c, auth.EditBoundaries, region+"000000"); err != nil {
		return err
	}
	var rd io.Reader = c.Request().Body
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "multipart/") {
		fh, err := c.FormFile("file")
		if err != nil {
			return apperr.New(apperr.ErrInvalid, "want the GeoJSON in field \"file\"")
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
	fc, err := layerio.DecodeFeatureCollection(data, "streets")
	if err != nil {
		return err
	}
	var lines []store.Street
	var problems []string
	for i, f := range fc.Features {
		if err := c.Request().Context().Err(); err != nil {
			return apperr.New(apperr.ErrUnavailable, "the request's time ran out at feature %d", i)
		}
		name, _ := f.Properties["name"].(string)
		if name == "" {
			name, _ = f.Properties["名称"].(string)
		}
		kind, _ := f.Properties["highway"].(string)
		if kind == "" {
			kind, _ = f.Properties["kind"].(string)
		}
		var parts []orb.LineString
		switch g := f.Geometry.(type) {
		case orb.LineString:
			parts = []orb.LineString{g}
		case orb.MultiLineString:
			parts = g
		default:
			problems = append(problems, fmt.Sprintf("feature %d: a %s, want a LineString or MultiLineString", i, geometryType(f.Geometry)))
			continue
		}
		for _, l := range parts {
			if len(l) < 2 {
				problems = append(problems, fmt.Sprintf("feature %d: a line needs two positions", i))
				continue
			}
			lines = append(lines, store.Street{Name: name, Kind: kind, Line: l, Feature: i})
		}
		if len(lines) > maxStreetLines {
			return apperr.New(apperr.ErrTooLarge, "more than %d lines: split the file by street", maxStreetLines)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("… and %d more", len(problems)-20))
		}
		return apperr.WithDetails(apperr.ErrInvalid, problems, "%d features are not street lines; nothing stored", len(problems))
	}
	if len(lines) == 0 {
		return apperr.New(apperr.ErrInvalid, "streets: no lines in the file")
	}
	before, err := s.opt.Store.ReplaceStreets(c.Request().Context(), region, lines, auditBase(c, "import", "streets", region))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"region": region, "lines": len(lines), "replaced": before})
}

func geometryType(g orb.Geometry) string {
	if g == nil {
		return "missing geometry"
	}
	return g.GeoJSONType()
}
