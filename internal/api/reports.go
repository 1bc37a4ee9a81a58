package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// reportScope is the unit a report covers: ?parent= if given (which must be
// inside the principal's scope), else the principal's own unit ("" is
// everywhere). It returns the code and how many leading digits it fixes.
func (s *Server) reportScope(c echo.Context) (string, int, error) {
	scope := c.QueryParam("parent")
	if scope == "" {
		scope = principal(c).Unit
	} else {
		if !unit.IsUnitCode(scope) {
			return "", 0, apperr.New(apperr.ErrInvalid, "parent %q: want a 12- or 15-digit unit code", scope)
		}
		if err := authorize(c, auth.ReadStats, scope); err != nil {
			return "", 0, err
		}
	}
	if scope == "" {
		return "", 0, nil
	}
	if err := s.opt.Read.UnitExists(c.Request().Context(), scope); err != nil {
		return "", 0, err
	}
	return scope, unit.PrefixLen(scope), nil
}

// gridCountRow is a grid's counts with its place against the target band.
type gridCountRow struct {
	store.GridCount
	BandApplies     bool      `json:"band_applies"` // basic grids only
	Band            unit.Band `json:"band"`         // the grid's, from the unit settings
	HouseholdsUnder bool      `json:"households_under"`
	HouseholdsOver  bool      `json:"households_over"`
	PeopleUnder     bool      `json:"people_under"`
	PeopleOver      bool      `json:"people_over"`
}

// gridCounts answers GET /api/reports/grid-counts?parent=CODE&limit=&after=:
// one page of grids in code order; "next" is the cursor of the next page
// ("" after the last). over and under count the page's grids.
func (s *Server) gridCounts(c echo.Context) error {
	limit := 500
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxGridCountsPage {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–%d", v, store.MaxGridCountsPage)
		}
		limit = n
	}
	after := c.QueryParam("after")
	if after != "" && !unit.IsGridCode(after) {
		return apperr.New(apperr.ErrInvalid, "after %q: want the 15-digit grid code of a \"next\" cursor", after)
	}
	scope, n, err := s.reportScope(c)
	if err != nil {
		return err
	}
	// One more than asked says whether another page follows.
	counts, err := s.opt.Read.GridCounts(c.Request().Context(), scope, n, after, limit+1)
	if err != nil {
		return err
	}
	next := ""
	if len(counts) > limit {
		counts = counts[:limit]
		next = counts[limit-1].Code
	}
	bands, band, err := s.bandsOf(c, scope, len(counts), func(i int) string { return counts[i].Code })
	if err != nil {
		return err
	}
	rows := make([]gridCountRow, len(counts))
	var over, under int
	for i, g := range counts {
		band := bands[g.Code]
		r := gridCountRow{GridCount: g, BandApplies: band.Applies(g.Kind), Band: band}
		if r.BandApplies {
			r.HouseholdsUnder, r.HouseholdsOver = g.Households < band.MinHouseholds, g.Households > band.MaxHouseholds
			r.PeopleUnder, r.PeopleOver = g.People < band.MinPeople, g.People > band.MaxPeople
			if band.Over(g.Households, g.People) {
				over++
			}
			if band.Under(g.Households, g.People) {
				under++
			}
		}
		rows[i] = r
	}
	return c.JSON(http.StatusOK, map[string]any{
		"parent": scope,
		"band": map[string]any{"households": [2]int{band.MinHouseholds, band.MaxHouseholds},
			"people": [2]int{band.MinPeople, band.MaxPeople}},
		"over": over, "under": under, "grids": rows, "next": next,
	})
}

// bandsOf resolves the band (unit settings, inherited) of n grids named by
// code(i) and of the scope unit ("": everywhere, the default band).
func (s *Server) bandsOf(c echo.Context, scope string, n int, code func(int) string) (map[string]unit.Band, unit.Band, error) {
	codes := make([]string, 0, n+1)
	for i := 0; i < n; i++ {
		codes = append(codes, code(i))
	}
	if scope != "" {
		codes = append(codes, scope)
	}
	bands, err := s.opt.Read.Bands(c.Request().Context(), codes)
	if err != nil {
		return nil, unit.Band{}, err
	}
	for _, c := range codes {
		if _, ok := bands[c]; !ok {
			bands[c] = unit.DefaultBand // gone meanwhile: judged by the default
		}
	}
	band := unit.DefaultBand
	if scope != "" {
		band = bands[scope]
	}
	return bands, band, nil
}

// unplaced answers GET /api/reports/unplaced: buildings and households in
// no grid, as counts and building points.
func (s *Server) unplaced(c echo.Context) error {
	scope, n, err := s.reportScope(c)
	if err != nil {
		return err
	}
	u, err := s.opt.Read.UnplacedBuildings(c.Request().Context(), scope, n == 6)
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
	gs, err := s.opt.Read.EmptyGrids(c.Request().Context(), scope, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"parent": scope, "count": len(gs), "grids": gs})
}
