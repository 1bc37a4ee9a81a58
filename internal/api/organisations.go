package api

// Places and organisations (地、物、组织), rental housing and collection
// completeness (信息采集率), issue #15 items 2 and 4.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/inspection"
	"wangge/internal/store"
	"wangge/internal/unit"
)

func (s *Server) organisationRoutes(api *echo.Group) {
	api.GET("/place-kinds", s.placeKinds, s.may(auth.ReadMap)...)
	api.GET("/organisations", s.listOrganisations, s.may(auth.ReadHouseholds)...)
	api.PATCH("/places/:id", s.updatePlace, s.may(auth.ManagePlaces)...)
	api.DELETE("/places/:id", s.deletePlace, s.may(auth.ManagePlaces)...)
	api.PATCH("/addresses/:id", s.updateAddress, s.may(auth.ImportPlaces)...)
	api.GET("/reports/completeness", s.completenessReport, s.may(auth.ReadStats)...)
}

// placeKinds answers GET /api/place-kinds: the controlled list.
func (s *Server) placeKinds(c echo.Context) error {
	ks, err := s.opt.Store.PlaceKinds(c.Request().Context(), nil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ks)
}

// listOrganisations answers GET /api/organisations?unit=&kind=: the
// organisations and facilities in unit with counts per kind, contacts
// masked; &unmask=1&reason=… in clear, audited.
func (s *Server) listOrganisations(c echo.Context) error {
	u := c.QueryParam("unit")
	if !unit.IsUnitCode(u) {
		return apperr.New(apperr.ErrInvalid, "unit %q: want a unit code", u)
	}
	reason := ""
	switch v := c.QueryParam("unmask"); v {
	case "", "0":
	case "1":
		if reason = strings.TrimSpace(c.QueryParam("reason")); reason == "" {
			return apperr.New(apperr.ErrInvalid, "unmask needs a reason (it is recorded in the audit log)")
		}
	default:
		return apperr.New(apperr.ErrInvalid, "unmask %q: want 1 or 0", v)
	}
	list, counts, err := s.inspectionService().Organisations(c.Request().Context(), principal(c), u[:unit.PrefixLen(u)],
		c.QueryParam("kind"), reason, auditBase(c, "disclose", "organisation", u))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"unit": u, "masked": reason == "", "counts": counts,
		"organisations": list, "truncated": len(list) == store.MaxOrganisations})
}

// updatePlace answers PATCH /api/places/{id} → 204.
func (s *Server) updatePlace(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var e inspection.OrganisationEdit
	if err := decodeJSON(c, &e); err != nil {
		return err
	}
	if err := s.inspectionService().UpdatePlace(c.Request().Context(), principal(c), id, e, auditBase(c, "place.update", "place", strconv.FormatInt(id, 10))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// deletePlace answers DELETE /api/places/{id} → 204 (409 with history).
func (s *Server) deletePlace(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.inspectionService().DeletePlace(c.Request().Context(), principal(c), id, auditBase(c, "place.delete", "place", strconv.FormatInt(id, 10))); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// updateAddress answers PATCH /api/addresses/{id} {"rental": bool} → 204:
// the address is let (出租房屋); its tenants are its households' persons.
func (s *Server) updateAddress(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Rental *bool `json:"rental"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Rental == nil {
		return apperr.New(apperr.ErrInvalid, "rental is required (true or false)")
	}
	p := principal(c)
	err = s.opt.Store.SetAddressRental(c.Request().Context(), id, *in.Rental, func(grid string) error {
		if !p.Can(auth.ImportPlaces, grid) {
			return apperr.New(apperr.ErrForbidden, "address %d lies in grid %s, outside %s's units", id, grid, p.Username)
		}
		return nil
	}, auditBase(c, "address.rental", "address", strconv.FormatInt(id, 10)))
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// completenessReport answers GET /api/reports/completeness?parent=&format=json|csv|xlsx.
func (s *Server) completenessReport(c echo.Context) error {
	parent := c.QueryParam("parent")
	if !unit.IsUnitCode(parent) {
		return apperr.New(apperr.ErrInvalid, "parent %q: want a unit code", parent)
	}
	if err := authorize(c, auth.ReadStats, parent); err != nil {
		return err
	}
	total, rows, err := s.opt.Store.CompletenessReport(c.Request().Context(), parent, unit.PrefixLen(parent))
	if err != nil {
		return err
	}
	if f := c.QueryParam("format"); f == "" || f == "json" {
		return c.JSON(http.StatusOK, map[string]any{"parent": parent, "total": total, "units": rows})
	}
	return tableAnswer(c, c.QueryParam("format"), "completeness-"+parent, completenessRows(total, rows), 3)
}

// completenessRows is the report as a table, the parent's total last.
func completenessRows(total store.Completeness, rows []store.Completeness) [][]string {
	out := [][]string{{"code 编码", "name 名称", "level 层级", "grids 网格数",
		"addresses 地址", "without households 无户地址", "addresses % 地址有户率",
		"households 户", "without members 无人户", "households % 户有人率",
		"persons 人", "without ID 无身份证号", "ID % 身份证采集率", "without phone 无电话", "phone % 电话采集率",
		"categories 类别", "without visit rule 无走访规则", "rules % 规则覆盖率"}}
	pct := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	it := strconv.Itoa
	total.Name = "合计 total"
	for _, r := range append(rows, total) {
		out = append(out, []string{r.Code, r.Name, it(r.Level), it(r.Grids),
			it(r.Addresses), it(r.AddressesNoHousehold), pct(r.AddressesPct),
			it(r.Households), it(r.HouseholdsNoMember), pct(r.HouseholdsPct),
			it(r.Persons), it(r.PersonsNoID), pct(r.IDNumberPct), it(r.PersonsNoPhone), pct(r.PhonePct),
			it(r.Categories), it(r.CategoriesNoVisitRule), pct(r.RulesPct)})
	}
	return out
}
