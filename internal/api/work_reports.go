package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"
	"github.com/xuri/excelize/v2"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/unit"
	"wangge/internal/workreport"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// workReportRoutes: the periodic work reports (工作月报/季报, issue #17).
func (s *Server) workReportRoutes(api *echo.Group) {
	api.GET("/reports/work", s.workReport, s.may(auth.ReadStats)...)
}

// workReport answers GET /api/reports/work?unit=&period=YYYY-MM|YYYY-Qn&format=json|xlsx|pdf.
func (s *Server) workReport(c echo.Context) error {
	code := c.QueryParam("unit")
	if code == "" {
		code = principal(c).Unit
	}
	if !unit.IsUnitCode(code) {
		return apperr.New(apperr.ErrInvalid, "unit %q: want the 12-digit code of a district, street or community", code)
	}
	if err := authorize(c, auth.ReadStats, code); err != nil {
		return err
	}
	now := time.Now()
	p, err := workreport.ParsePeriod(c.QueryParam("period"), now)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format != "" && format != "json" && format != "xlsx" && format != "pdf" {
		return apperr.New(apperr.ErrInvalid, "format %q: want json, xlsx or pdf", format)
	}
	r, err := workreport.Compute(c.Request().Context(), s.opt.Store, code, p, now)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("work-report-%s-%s", code, p.Label)
	switch format {
	case "xlsx":
		b, err := r.XLSX()
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		return c.Blob(http.StatusOK, xlsxType, b)
	case "pdf":
		b, err := r.PDF()
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `inline; filename="`+name+`.pdf"`)
		return c.Blob(http.StatusOK, "application/pdf", b)
	}
	return c.JSON(http.StatusOK, r)
}

// hotspotColumns are the columns of the hotspot table export.
var hotspotColumns = []string{"id", "name", "count", "residents", "rate_per_1000", "per_km2", "z", "p", "class"}

// hotspotXLSX is the hotspot map's table (one row per bin shown on the map,
// the same properties as the GeoJSON; empty cells where it has null).
func hotspotXLSX(fc *geojson.FeatureCollection) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "Sheet1"
	head := make([]any, len(hotspotColumns))
	for i, k := range hotspotColumns {
		head[i] = k
	}
	if err := x.SetSheetRow(sheet, "A1", &head); err != nil {
		return nil, err
	}
	for i, f := range fc.Features {
		row := make([]any, len(hotspotColumns))
		for j, k := range hotspotColumns {
			row[j] = f.Properties[k]
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		return nil, fmt.Errorf("api: hotspot xlsx: %w", err)
	}
	return b.Bytes(), nil
}
