package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/incidents"
	"wangge/internal/unit"
)

// requestExtension answers POST /api/incidents/{id}/extensions {"hours", "note"}:
// 201 with the pending request (延期申请).
func (s *Server) requestExtension(c echo.Context) error {
	var r incidents.ExtensionRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	req, err := s.incidentService().RequestExtension(c.Request().Context(), principal(c), c.Param("id"), r,
		auditBase(c, "incident.extension_request", "incident", c.Param("id")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, req)
}

// listExtensions answers GET /api/incidents/extensions?status=pending|approved|rejected:
// the requests in the caller's units (and their own), oldest first, each
// with can_decide for the caller.
func (s *Server) listExtensions(c echo.Context) error {
	p := principal(c)
	status := c.QueryParam("status")
	if status != "" && status != "pending" && status != "approved" && status != "rejected" {
		return apperr.New(apperr.ErrInvalid, "status %q: want pending, approved or rejected", status)
	}
	prefix := ""
	if p.Unit != "" {
		prefix = p.Unit[:unit.PrefixLen(p.Unit)]
	}
	list, err := s.opt.Store.ExtensionRequests(c.Request().Context(), prefix, p.UserID, status, 200)
	if err != nil {
		return err
	}
	for i := range list {
		list[i].CanDecide = list[i].Status == "pending" && incidents.CanDecideExtension(p, list[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": list})
}

// decideExtension answers POST /api/incidents/extensions/{rid}/decision {"approve", "note"}.
func (s *Server) decideExtension(c echo.Context) error {
	rid, err := strconv.ParseInt(c.Param("rid"), 10, 64)
	if err != nil || rid < 1 {
		return apperr.New(apperr.ErrInvalid, "request id %q: want a positive integer", c.Param("rid"))
	}
	var body struct {
		Approve *bool  `json:"approve"`
		Note    string `json:"note"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if body.Approve == nil {
		return apperr.New(apperr.ErrInvalid, "approve (true or false) is required")
	}
	req, x, err := s.incidentService().DecideExtension(c.Request().Context(), principal(c), rid, *body.Approve, body.Note,
		auditBase(c, "incident.extension_decision", "incident_extension", c.Param("rid")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"request": req, "incident": x})
}
