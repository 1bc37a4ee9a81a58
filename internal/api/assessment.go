package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/assessment/service"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// assessmentRoutes: grid worker assessment (网格员效能评价, issue 18).
func (s *Server) assessmentRoutes(api *echo.Group) {
	api.GET("/assessment", s.getAssessment, s.may(auth.ReadAssessment)...)
	api.GET("/assessment/export", s.exportAssessment, s.may(auth.ReadAssessment)...)
	api.GET("/assessment/year", s.assessmentYear, s.may(auth.ReadAssessment)...)
	api.GET("/assessment/rules", s.assessmentRules, s.may(auth.ReadAssessment)...)
	api.PUT("/assessment/rules", s.putAssessmentRules, s.may(auth.ManageAssessment)...)
	api.POST("/assessment/close", s.closeAssessment, s.may(auth.ManageAssessment)...)
	api.POST("/assessment/reopen", s.reopenAssessment, s.may(auth.ManageAssessment)...)
	api.POST("/assessment/training", s.recordTraining, s.may(auth.RecordAssessment)...)
	api.POST("/assessment/training/:id/attendance", s.recordAttendance, s.may(auth.RecordAssessment)...)
	api.POST("/assessment/phone-checks", s.recordCheck(false), s.may(auth.RecordAssessment)...)
	api.POST("/assessment/dispatch-checks", s.recordCheck(true), s.may(auth.RecordAssessment)...)
}

func (s *Server) assessmentService() *service.Service {
	svc := service.New(s.opt.Store)
	if s.opt.Clock != nil {
		svc.Now = s.opt.Clock
	}
	return svc
}

func (s *Server) assessmentActor(c echo.Context) service.Actor {
	return service.Actor{Audit: auditBase(c, "", "", ""), Scope: principal(c).Unit}
}

// assessmentUnit reads unit= and checks the caller may act there.
func assessmentUnit(c echo.Context, a auth.Action) (string, error) {
	unit := c.QueryParam("unit")
	if err := service.CheckUnit(unit); err != nil {
		return "", err
	}
	return unit, authorize(c, a, unit)
}

func (s *Server) assessmentMonth(c echo.Context) (service.Month, error) {
	unit, err := assessmentUnit(c, auth.ReadAssessment)
	if err != nil {
		return service.Month{}, err
	}
	svc := s.assessmentService()
	month, err := svc.ParseMonth(c.QueryParam("month"))
	if err != nil {
		return service.Month{}, err
	}
	return svc.Month(c.Request().Context(), unit, month)
}

// getAssessment answers GET /api/assessment?unit=&month=YYYY-MM.
func (s *Server) getAssessment(c echo.Context) error {
	m, err := s.assessmentMonth(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// exportAssessment answers GET /api/assessment/export?unit=&month=&format=xlsx|csv.
func (s *Server) exportAssessment(c echo.Context) error {
	format := c.QueryParam("format")
	if format != "xlsx" && format != "csv" {
		return apperr.New(apperr.ErrInvalid, "format %q: want xlsx or csv", format)
	}
	m, err := s.assessmentMonth(c)
	if err != nil {
		return err
	}
	name := "assessment-" + m.Unit + "-" + m.Month + "." + format
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "csv" {
		b, err := m.CSV()
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b)
	}
	b, err := m.XLSX()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b)
}

// assessmentYear answers GET /api/assessment/year?unit=&year=: each
// worker's months of the year so far, average and grade.
func (s *Server) assessmentYear(c echo.Context) error {
	unit, err := assessmentUnit(c, auth.ReadAssessment)
	if err != nil {
		return err
	}
	svc := s.assessmentService()
	year, err := strconv.Atoi(c.QueryParam("year"))
	if err != nil || year < 2000 || year > svc.Now().In(workcal.CST).Year() {
		return apperr.New(apperr.ErrInvalid, "year %q: want a year from 2000 to this one", c.QueryParam("year"))
	}
	y, err := svc.Year(c.Request().Context(), unit, year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, y)
}

// assessmentRules answers GET /api/assessment/rules?unit=: the versions.
func (s *Server) assessmentRules(c echo.Context) error {
	unit, err := assessmentUnit(c, auth.ReadAssessment)
	if err != nil {
		return err
	}
	vs, err := s.opt.Store.RuleSetVersions(c.Request().Context(), unit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"versions": vs})
}

// putAssessmentRules answers PUT /api/assessment/rules?unit=: a new version.
func (s *Server) putAssessmentRules(c echo.Context) error {
	unit, err := assessmentUnit(c, auth.ManageAssessment)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 256<<10))
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	rs, err := s.assessmentService().PutRules(c.Request().Context(), unit, body, s.assessmentActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, rs)
}

func (s *Server) monthBody(c echo.Context) (unit string, month time.Time, reason string, err error) {
	var in struct {
		Unit   string `json:"unit_code"`
		Month  string `json:"month"`
		Reason string `json:"reason"`
	}
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return "", month, "", apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	if err := service.CheckUnit(in.Unit); err != nil {
		return "", month, "", err
	}
	if err := authorize(c, auth.ManageAssessment, in.Unit); err != nil {
		return "", month, "", err
	}
	month, err = s.assessmentService().ParseMonth(in.Month)
	return in.Unit, month, in.Reason, err
}

// closeAssessment answers POST /api/assessment/close {unit_code, month}.
func (s *Server) closeAssessment(c echo.Context) error {
	unit, month, _, err := s.monthBody(c)
	if err != nil {
		return err
	}
	m, err := s.assessmentService().Close(c.Request().Context(), unit, month, s.assessmentActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// reopenAssessment answers POST /api/assessment/reopen {unit_code, month, reason}.
func (s *Server) reopenAssessment(c echo.Context) error {
	unit, month, reason, err := s.monthBody(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	svc := s.assessmentService()
	if err := svc.Reopen(ctx, unit, month, reason, s.assessmentActor(c)); err != nil {
		return err
	}
	m, err := svc.Month(ctx, unit, month)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

// idempotentWrite decodes the body into in and runs fn once per
// Idempotency-Key (201; a retry gets the same answer).
func (s *Server) idempotentWrite(c echo.Context, kind string, in any, fn func(tx pgx.Tx) (any, error)) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, 1<<20))
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	p := principal(c)
	reply, err := s.opt.Store.Idempotent(c.Request().Context(), p.UserID, c.Request().Header.Get("Idempotency-Key"),
		append([]byte(kind+"\x00"), body...), func(tx pgx.Tx) (store.Reply, error) {
			out, err := fn(tx)
			if err != nil {
				return store.Reply{}, err
			}
			b, err := json.Marshal(out)
			return store.Reply{Status: http.StatusCreated, Body: b}, err
		})
	if err != nil {
		return err
	}
	return c.JSONBlob(reply.Status, reply.Body)
}

// recordTraining answers POST /api/assessment/training.
func (s *Server) recordTraining(c echo.Context) error {
	var in service.TrainingInput
	return s.idempotentWrite(c, "assessment.training", &in, func(tx pgx.Tx) (any, error) {
		return s.assessmentService().RecordTraining(c.Request().Context(), tx, in, s.assessmentActor(c))
	})
}

// recordAttendance answers POST /api/assessment/training/:id/attendance.
func (s *Server) recordAttendance(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in service.AttendanceInput
	return s.idempotentWrite(c, "assessment.attendance."+strconv.FormatInt(id, 10), &in, func(tx pgx.Tx) (any, error) {
		return s.assessmentService().RecordAttendance(c.Request().Context(), tx, id, in, s.assessmentActor(c))
	})
}

// recordCheck answers POST /api/assessment/phone-checks and /dispatch-checks.
func (s *Server) recordCheck(dispatch bool) echo.HandlerFunc {
	kind := "assessment.phone"
	if dispatch {
		kind = "assessment.dispatch"
	}
	return func(c echo.Context) error {
		var in service.CheckInput
		return s.idempotentWrite(c, kind, &in, func(tx pgx.Tx) (any, error) {
			return s.assessmentService().RecordCheck(c.Request().Context(), tx, dispatch, in, s.assessmentActor(c))
		})
	}
}
