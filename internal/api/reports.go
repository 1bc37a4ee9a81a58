package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
)

// Target band of a basic grid (基础网格): 200–500 households, 1,000–1,500 people.
const (
	bandMinHouseholds, bandMaxHouseholds = 200, 500
	bandMinPeople, bandMaxPeople         = 1000, 1500
)

// reportScope is the unit a report covers: ?parent= if given (which must be
// inside the principal's scope), else the principal's own unit ("" is
// everywhere). It returns the code and how many leading digits it fixes.
func (s *Server) reportScope(c echo.Context) (string, int, error) {
	scope := c.QueryParam("parent")
	if scope == "" {
		scope = principal(c).Unit
	} else {
		if !unitCode.MatchString(scope) {
			return "", 0, apperr.New(apperr.ErrInvalid, "parent %q: want a 12- or 15-digit unit code", scope)
		}
		if err := authorize(c, auth.ReadStats, scope); err != nil {
			return "", 0, err
		}
	}
	if scope == "" {
		return "", 0, nil
	}
	if err := s.opt.Store.UnitExists(c.Request().Context(), scope); err != nil {
		return "", 0, err
	}
	return scope, auth.ScopeLen(scope), nil
}

// gridCountRow is a grid's counts with its place against the target band.
type gridCountRow struct {
	store.GridCount
	BandApplies     bool `json:"band_applies"` // basic grids only
	HouseholdsUnder bool `json:"households_under"`
	HouseholdsOver  bool `json:"households_over"`
	PeopleUnder     bool `json:"people_under"`
	PeopleOver      bool `json:"people_over"`
}

// gridCounts answers GET /api/reports/grid-counts?parent=CODE.
func (s *Server) gridCounts(c echo.Context) error {
	scope, n, err := s.reportScope(c)
	if err != nil {
		return err
	}
	counts, err := s.opt.Store.GridCounts(c.Request().Context(), scope, n)
	if err != nil {
		return err
	}
	rows := make([]gridCountRow, len(counts))
	var over, under int
	for i, g := range counts {
		r := gridCountRow{GridCount: g, BandApplies: g.Kind == "basic"}
		if r.BandApplies {
			r.HouseholdsUnder, r.HouseholdsOver = g.Households < bandMinHouseholds, g.Households > bandMaxHouseholds
			r.PeopleUnder, r.PeopleOver = g.People < bandMinPeople, g.People > bandMaxPeople
			if r.HouseholdsOver || r.PeopleOver {
				over++
			}
			if r.HouseholdsUnder || r.PeopleUnder {
				under++
			}
		}
		rows[i] = r
	}
	return c.JSON(http.StatusOK, map[string]any{
		"parent": scope,
		"band": map[string]any{"households": [2]int{bandMinHouseholds, bandMaxHouseholds},
			"people": [2]int{bandMinPeople, bandMaxPeople}},
		"over": over, "under": under, "grids": rows,
	})
}

// unplaced answers GET /api/reports/unplaced: buildings and households in
// no grid, as counts and building points.
func (s *Server) unplaced(c echo.Context) error {
	scope, n, err := s.reportScope(c)
	if err != nil {
		return err
	}
	u, err := s.opt.Store.UnplacedBuildings(c.Request().Context(), scope, n == 6)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"parent": scope, "buildings": u.Buildings,
		"households": u.Households, "people": u.People, "points": u.Points})
}

// emptyGrids answers GET /api/reports/empty-grids: grids with no household.
func (s *Server) emptyGrids(c echo.Context) error {
	scope, n, err := s.reportScope(c)
	if err != nil {
		return err
	}
	gs, err := s.opt.Store.EmptyGrids(c.Request().Context(), scope, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"parent": scope, "count": len(gs), "grids": gs})
}
