package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/geojson"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/boundary"
	"wangge/internal/unit"
)

// balance answers GET /api/balance?parent=&min_households=&max_households=&min_people=&max_people=
// with each grid's households and people against the target band, over/under
// flags, and a proposed split line for every oversized grid.
func (s *Server) balance(c echo.Context) error {
	parent := c.QueryParam("parent")
	if parent == "" {
		parent = principal(c).Unit // "" for users scoped everywhere
	} else if !unit.IsUnitCode(parent) {
		return apperr.New(apperr.ErrInvalid, "parent %q: want a unit code", parent)
	}
	if parent != "" {
		if err := authorize(c, auth.ReadStats, parent); err != nil {
			return err
		}
	}
	// The query's band, field by field, overrides each grid's own (its unit
	// settings, inherited down the tree).
	override := func(b unit.Band) (unit.Band, error) {
		for _, f := range []struct {
			name string
			dst  *int
		}{{"min_households", &b.MinHouseholds}, {"max_households", &b.MaxHouseholds},
			{"min_people", &b.MinPeople}, {"max_people", &b.MaxPeople}} {
			if v := c.QueryParam(f.name); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return b, apperr.New(apperr.ErrInvalid, "%s %q: want a non-negative integer", f.name, v)
				}
				*f.dst = n
			}
		}
		if b.MinHouseholds > b.MaxHouseholds || b.MinPeople > b.MaxPeople {
			return b, apperr.New(apperr.ErrInvalid, "band: a minimum is above its maximum")
		}
		return b, nil
	}
	if _, err := override(unit.DefaultBand); err != nil {
		return err // bad parameters before any work
	}
	loads, err := s.opt.Store.GridLoads(c.Request().Context(), parent)
	if err != nil {
		return err
	}
	bands, band, err := s.bandsOf(c, parent, len(loads), func(i int) string { return loads[i].Code })
	if err != nil {
		return err
	}
	if band, err = override(band); err != nil {
		return err
	}
	// Each grid's band and class first, then the streets crossing the
	// over-band ones in one query, then the answer.
	gbs, flags := make([]unit.Band, len(loads)), make([]string, len(loads))
	var over []string
	for i, g := range loads {
		if gbs[i], err = override(bands[g.Code]); err != nil {
			return err
		}
		if flags[i] = gbs[i].Flag(g.Kind, g.Households, g.People); flags[i] == "over" {
			over = append(over, g.Code)
		}
	}
	cuts, err := s.opt.Store.StreetCuts(c.Request().Context(), over)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for i, g := range loads {
		f := geojson.NewFeature(g.Geom)
		f.ID = g.Code
		f.Properties = geojson.Properties{"code": g.Code, "name": g.Name, "kind": g.Kind,
			"households": g.Households, "people": g.People, "buildings": len(g.Buildings), "flag": flags[i], "band": gbs[i]}
		if flags[i] == "over" {
			if p, ok := boundary.ProposeSplitAlong(g, cuts[g.Code]); ok {
				split := map[string]any{"line": geojson.NewGeometry(p.Line), "households": p.Households, "street_aligned": p.StreetAligned,
					"note": "no street crosses the grid with at least 40 % of the households on each side: the line is straight, placed between buildings so each side gets about half"}
				if p.StreetAligned {
					split["street"] = p.Street
					split["note"] = "along the street " + p.Street + ", the one crossing the grid that best halves its households"
				}
				f.Properties["split"] = split
			}
		}
		fc.Append(f)
	}
	return c.JSON(http.StatusOK, map[string]any{"type": "FeatureCollection", "features": fc.Features, "band": band})
}
