package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/inspection"
)

func (s *Server) inspectionService() *inspection.Service {
	return &inspection.Service{Store: s.opt.Store, Now: s.opt.Clock}
}

// inspectionRoutes registers safety inspections and hazards (issue #16).
func (s *Server) inspectionRoutes(api *echo.Group) {
	api.POST("/places", s.createPlace, s.may(auth.ManagePlaces)...)
	api.GET("/places", s.listPlaces, s.may(auth.ReadHazards)...)
	api.POST("/places/import", s.importPlaces, s.may(auth.ManagePlaces)...)
	api.GET("/inspection-templates", s.inspectionTemplates, s.may(auth.ReadMap)...)
	api.POST("/inspections", s.recordInspection, s.may(auth.RecordInspections)...)
	api.GET("/inspections/due", s.dueInspections, s.may(auth.ReadHazards)...)
	api.GET("/hazards", s.listHazards, s.may(auth.ReadHazards)...)
	api.GET("/hazards/register", s.hazardRegister, s.may(auth.ReadHazards)...)
	api.GET("/inspections/stats", s.inspectionStats, s.may(auth.ReadHazards)...)
	api.POST("/hazards/:id/close", s.closeHazard, s.may(auth.RecordInspections)...)
	api.POST("/drills", s.recordDrill, s.may(auth.RecordInspections)...)
	api.GET("/drills/check", s.drillChecks, s.may(auth.ReadHazards)...)
}

// createPlace answers POST /api/places → 201 {"id"}.
func (s *Server) createPlace(c echo.Context) error {
	var np inspection.NewPlace
	if err := decodeJSON(c, &np); err != nil {
		return err
	}
	id, err := s.inspectionService().CreatePlace(c.Request().Context(), principal(c), np, auditBase(c, "place.create", "place", ""))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]int64{"id": id})
}

// listPlaces answers GET /api/places?grid=.
func (s *Server) listPlaces(c echo.Context) error {
	list, err := s.inspectionService().Places(c.Request().Context(), principal(c), c.QueryParam("grid"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// inspectionTemplates answers GET /api/inspection-templates?kind= (newest versions).
func (s *Server) inspectionTemplates(c echo.Context) error {
	kind, err := incidents.CleanText("kind", c.QueryParam("kind"), 40)
	if err != nil {
		return err
	}
	list, err := s.opt.Store.InspectionTemplates(c.Request().Context(), kind)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// recordInspection answers POST /api/inspections: 201 new, 200 the same
// again, 409 another body under the id.
func (s *Server) recordInspection(c echo.Context) error {
	var sub inspection.Submission
	if err := decodeJSON(c, &sub); err != nil {
		return err
	}
	rec, created, err := s.inspectionService().Record(c.Request().Context(), principal(c), sub,
		auditBase(c, "inspection.record", "inspection", sub.ID))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, rec)
}

// dueInspections answers GET /api/inspections/due?unit=|staff=.
func (s *Server) dueInspections(c echo.Context) error {
	var staff int64
	if v := c.QueryParam("staff"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return apperr.New(apperr.ErrInvalid, "staff %q: want a staff id", v)
		}
		staff = n
	}
	list, err := s.inspectionService().Due(c.Request().Context(), principal(c), c.QueryParam("unit"), staff)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// listHazards answers GET /api/hazards?unit=&state=open|overdue|closed.
func (s *Server) listHazards(c echo.Context) error {
	list, err := s.inspectionService().Hazards(c.Request().Context(), principal(c), c.QueryParam("unit"), c.QueryParam("state"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// closeHazard answers POST /api/hazards/:id/close {"inspection": UUID}: only
// a passing re-inspection closes a hazard (409 otherwise).
func (s *Server) closeHazard(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return apperr.New(apperr.ErrInvalid, "hazard id %q: want a number", c.Param("id"))
	}
	var body struct {
		Inspection string `json:"inspection"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	h, err := s.inspectionService().Close(c.Request().Context(), principal(c), id, body.Inspection,
		auditBase(c, "hazard.close", "hazard", c.Param("id")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h)
}

// hazardRegister answers GET /api/hazards/register?unit=&format=xlsx|pdf (台账).
func (s *Server) hazardRegister(c echo.Context) error {
	unitCode := c.QueryParam("unit")
	format := c.QueryParam("format")
	if format != "xlsx" && format != "pdf" {
		return apperr.New(apperr.ErrInvalid, "format %q: want xlsx or pdf", format)
	}
	list, err := s.inspectionService().Register(c.Request().Context(), principal(c), unitCode)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	name := "hazard-register-" + unitCode
	if format == "xlsx" {
		if err := inspection.WriteRegisterXLSX(&b, unitCode, list); err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b.Bytes())
	}
	if err := inspection.WriteRegisterPDF(&b, unitCode, list); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.pdf"`)
	return c.Blob(http.StatusOK, "application/pdf", b.Bytes())
}

// recordDrill answers POST /api/drills: 201 new, 200 the same again, 409
// another body under the id.
func (s *Server) recordDrill(c echo.Context) error {
	var nd inspection.NewDrill
	if err := decodeJSON(c, &nd); err != nil {
		return err
	}
	d, created, err := s.inspectionService().RecordDrill(c.Request().Context(), principal(c), nd, auditBase(c, "drill.record", "drill", nd.ID))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, d)
}

// drillChecks answers GET /api/drills/check?unit=: each school and
// enterprise grid, its last drill and whether it held one this semester.
func (s *Server) drillChecks(c echo.Context) error {
	list, err := s.inspectionService().DrillChecks(c.Request().Context(), principal(c), c.QueryParam("unit"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}

// inspectionStats answers GET /api/inspections/stats?unit= (the leader display).
func (s *Server) inspectionStats(c echo.Context) error {
	st, err := s.inspectionService().UnitStats(c.Request().Context(), principal(c), c.QueryParam("unit"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// importPlaces answers POST /api/places/import?grid=&crs= with a CSV (text/csv)
// or XLSX body: 201 {"ids"}, or 400 naming the bad line and nothing stored.
func (s *Server) importPlaces(c echo.Context) error {
	// The grid's scope first: a file for someone else's grid is not read.
	// Without a grid each row is placed by its point and checked there.
	if g := c.QueryParam("grid"); g != "" {
		if err := authorize(c, auth.ManagePlaces, g); err != nil {
			return err
		}
	}
	ct := c.Request().Header.Get("Content-Type")
	xlsx := strings.HasPrefix(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if !xlsx && !strings.HasPrefix(ct, "text/csv") {
		return apperr.New(apperr.ErrUnsupported, "Content-Type %q: send text/csv or an XLSX file", ct)
	}
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return apperr.New(apperr.ErrTooLarge, "the table is too large")
		}
		return apperr.New(apperr.ErrInvalid, "reading the table: %v", err)
	}
	rows, err := inspection.ReadTable(data, xlsx)
	if err != nil {
		return err
	}
	ids, err := s.inspectionService().ImportPlaces(c.Request().Context(), principal(c), c.QueryParam("grid"), c.QueryParam("crs"), rows,
		auditBase(c, "place.create", "place", ""))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"ids": ids})
}
