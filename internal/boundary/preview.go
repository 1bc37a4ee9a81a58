package boundary

import (
	"context"
	"slices"

	"github.com/paulmach/orb"

	"wangge/geo/coverage"
	"wangge/geo/precision"
	"wangge/internal/grid"
)

// Preview checks a proposed shape g for grid code against the other grids of
// its community, in memory: the planner's live check while a vertex is
// dragged. It snaps g as an edit does (gather) and reports, with the edit's
// tolerances, the overlaps, gaps and parts outside the community that touch
// the grid — in strict mode what a save would refuse, in adjust mode what it
// would take from the neighbours, release to them or clip. The save's own
// check (PostGIS, in the edit's transaction) still decides.
func (s *Service) Preview(ctx context.Context, code string, g orb.MultiPolygon, a grid.Community) ([]grid.Defect, error) {
	idx := slices.Index(a.Codes, code)
	members := slices.Clone(a.Members)
	if idx < 0 {
		idx = len(members)
		members = append(members, nil)
	}
	var refs, all []orb.MultiPolygon
	for i, m := range members {
		mp, ok := grid.Polygonal(m)
		if !ok {
			continue
		}
		all = append(all, mp)
		if i != idx {
			refs = append(refs, mp)
		}
	}
	if p, ok := grid.Polygonal(a.Geom); ok {
		refs, all = append(refs, p), append(all, p)
	}
	stored := newRestorer(precision.Degrees, all...)
	snapped, err := newSnapper(rings(refs...), s.opt.SnapMetres).polygon(ctx, stored.polygon(g))
	if err != nil {
		return nil, err
	}
	members[idx] = snapped
	rep, err := coverage.ValidateContext(ctx, members, a.Geom, coverage.Options{Tolerance: s.opt.SnapMetres})
	if err != nil {
		return nil, err
	}
	codes := slices.Clone(a.Codes)
	if idx == len(codes) {
		codes = append(codes, code)
	}
	var out []grid.Defect
	for _, d := range grid.FromCoverage(rep.Defects, codes, nil, a.Code) {
		switch d.Kind {
		case coverage.Overlap, coverage.Gap, coverage.OutsideParent:
		default:
			continue // slivers are absorbed; edges are noded by the edit
		}
		if d.Size < s.opt.MinArea || !slices.Contains(d.Codes, code) {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}
