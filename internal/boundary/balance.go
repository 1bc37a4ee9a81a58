package boundary

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"wangge/geo/earth"
	"wangge/internal/store"
)

// Proposal is a suggested split line for an oversized grid.
type Proposal struct {
	Line          orb.LineString // crosses the grid's bounding box
	Households    [2]int         // on each side
	StreetAligned bool           // the line is a street of the district's network
	Street        string         // its name, when street-aligned
}

// streetShare is how uneven a split along a street may be and still be
// proposed instead of the straight line: each side at least 40 % of the
// households (grids follow streets, 街巷定界, and a street is a boundary
// people know).
const streetShare = 0.4

// ProposeSplitAlong is ProposeSplit preferring a street: of the cuts (the
// streets crossing the grid, store.StreetCuts) the one that best halves the
// households, if each side keeps at least 40 % of them; else the straight line.
func ProposeSplitAlong(g store.GridLoad, cuts []store.StreetCut) (Proposal, bool) {
	best, bestImb := Proposal{}, math.MaxInt
	for _, c := range cuts {
		var h [2]int
		for _, b := range g.Buildings {
			for i, part := range c.Parts {
				if planar.MultiPolygonContains(part, b.Pt) {
					h[i] += b.Households
					break
				}
			}
		}
		if imb := abs(h[0] - h[1]); imb < bestImb {
			best, bestImb = Proposal{Line: c.Line, Households: h, StreetAligned: true, Street: c.Name}, imb
		}
	}
	total := best.Households[0] + best.Households[1]
	if bestImb != math.MaxInt && total > 0 && float64(min(best.Households[0], best.Households[1])) >= streetShare*float64(total) {
		return best, true
	}
	return ProposeSplit(g)
}

// ProposeSplit sweeps straight lines across the grid's buildings in 36
// directions and returns the one that best halves the households (ties:
// the shortest cut, i.e. across the longer axis). The imbalance is at most
// the households of one building. Fewer than two buildings: ok is false.
func ProposeSplit(g store.GridLoad) (p Proposal, ok bool) {
	if len(g.Buildings) < 2 {
		return p, false
	}
	b := g.Geom.Bound()
	c := b.Center()
	kx, ky := earth.MetresPerDegree(c[1])
	type proj struct {
		t float64
		h int
	}
	pts := make([]proj, len(g.Buildings))
	diag := math.Hypot((b.Max[0]-b.Min[0])*kx, (b.Max[1]-b.Min[1])*ky)
	bestImb, bestLen := math.MaxInt, math.Inf(1)
	total := 0
	for _, bl := range g.Buildings {
		total += bl.Households
	}
	for step := 0; step < 36; step++ {
		th := float64(step) * math.Pi / 36
		dx, dy := math.Cos(th), math.Sin(th)
		for i, bl := range g.Buildings {
			x, y := (bl.Pt[0]-c[0])*kx, (bl.Pt[1]-c[1])*ky
			pts[i] = proj{x*dx + y*dy, bl.Households}
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].t < pts[j].t })
		// The cut's length across the grid ~ the grid's extent perpendicular to d.
		width := 0.0
		for _, r := range g.Geom {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, q := range r[0] {
				t := -(q[0]-c[0])*kx*dy + (q[1]-c[1])*ky*dx
				lo, hi = math.Min(lo, t), math.Max(hi, t)
			}
			width = math.Max(width, hi-lo)
		}
		left := 0
		for k := 0; k+1 < len(pts); k++ {
			left += pts[k].h
			if pts[k+1].t-pts[k].t < 1e-9 {
				continue
			}
			imb := abs(total - 2*left)
			if imb < bestImb || (imb == bestImb && width < bestLen) {
				bestImb, bestLen = imb, width
				t := (pts[k].t + pts[k+1].t) / 2
				mid := orb.Point{c[0] + t*dx/kx, c[1] + t*dy/ky}
				px, py := -dy*diag, dx*diag
				p = Proposal{
					Line:       orb.LineString{{mid[0] - px/kx, mid[1] - py/ky}, {mid[0] + px/kx, mid[1] + py/ky}},
					Households: [2]int{left, total - left},
				}
			}
		}
	}
	return p, bestImb != math.MaxInt
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
