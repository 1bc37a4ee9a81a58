package layerio

import (
	"context"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/internal/grid"
	"wangge/internal/unit"
)

// ParentOf is the grid's parent: its Parent, else the community its
// 15-digit code extends.
func ParentOf(g Grid) string {
	if g.Parent != "" {
		return g.Parent
	}
	return unit.CommunityOf(g.Code)
}

// Check validates the layer with geo/coverage, one coverage per parent
// (against parents[p] when known, else overlaps, invalid edges and holes
// only). Slivers thinner than tolerance metres are reported as such. The
// report is a FeatureCollection of defects naming the grids by code and by
// their feature number in the file (Grid.Feature). It stops with ctx's error when ctx is
// done (a request's deadline).
func Check(ctx context.Context, grids []Grid, parents map[string]orb.Geometry, tolerance float64) (*geojson.FeatureCollection, int, error) {
	groups := map[string][]int{}
	for i, g := range grids {
		p := ParentOf(g)
		groups[p] = append(groups[p], i)
	}
	features := func(idx []int) []int {
		out := make([]int, len(idx))
		for k, i := range idx {
			out[k] = grids[i].Feature
		}
		return out
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var all []grid.Defect
	for _, p := range keys {
		idx := groups[p]
		members := make([]orb.Geometry, len(idx))
		codes := make([]string, len(idx))
		for k, i := range idx {
			members[k], codes[k] = grids[i].Geom, grids[i].Code
		}
		r, err := coverage.ValidateContext(ctx, members, parents[p], coverage.Options{Tolerance: tolerance})
		if err != nil {
			return nil, 0, err
		}
		all = append(all, grid.FromCoverage(r.Defects, codes, features(idx), p)...)
	}
	return grid.FeatureCollection(all), len(all), nil
}
