package coverage

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// gaps finds gaps (holes of the union, or parent minus union) and parts
// outside the parent.
func (v *Validator) gaps() {
	var union orb.MultiPolygon
	var ok bool
	if len(v.pairs) == 0 && !slices.Contains(v.structural, true) {
		union, ok = v.boundaryUnion()
	}
	if !ok {
		all := make([]int, len(v.ms))
		for i := range all {
			all[i] = i
		}
		union = v.unionOf(all)
	}
	// Holes covered by members are not gaps: fill them.
	var holes []orb.Polygon
	for pi, p := range union {
		kept := p[:1]
		for _, h := range p[1:] {
			hole := orb.Polygon{reverseRing(h)}
			if v.covered(hole) {
				continue
			}
			kept = append(kept, h)
			holes = append(holes, hole)
		}
		union[pi] = kept
	}
	if v.parent == nil {
		for _, h := range holes {
			features := v.bordering(h)
			if d, ok := v.areaDefect(Gap, orb.MultiPolygon{h}, features); ok {
				v.defects = append(v.defects, d)
			}
		}
		return
	}
	gapMP, err := difference(v.parent, union)
	if err != nil {
		v.defects = append(v.defects, Defect{Kind: Gap, Unit: v.unitArea(), Message: "gaps could not be computed: " + err.Error()})
	}
	for _, p := range gapMP {
		if d, ok := v.areaDefect(Gap, orb.MultiPolygon{p}, v.bordering(p)); ok {
			v.defects = append(v.defects, d)
		}
	}
	out, err := difference(union, v.parent)
	if err != nil {
		v.defects = append(v.defects, Defect{Kind: OutsideParent, Unit: v.unitArea(), Message: "outside parts could not be computed: " + err.Error()})
	}
	per := map[int]orb.MultiPolygon{}
	for _, p := range out {
		b := p.Bound()
		v.eng.tree.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, i int) bool {
			if v.structural[i] {
				return true
			}
			if part, err := intersection(v.geoms[i], p); err == nil {
				per[i] = append(per[i], part...)
			}
			return true
		})
	}
	ids := make([]int, 0, len(per))
	for i := range per {
		ids = append(ids, i)
	}
	slices.Sort(ids)
	for _, i := range ids {
		if d, ok := v.areaDefect(OutsideParent, per[i], []int{i}); ok {
			v.defects = append(v.defects, d)
		}
	}
}

func reverseRing(r orb.Ring) orb.Ring {
	out := slices.Clone(r)
	slices.Reverse(out)
	return out
}

// unionOf unions the members among idx that have a segment not matched
// by a neighbour, plus the members touching those (a clean member may close
// a hole at a single vertex); members fully inside a clean area cannot
// border a hole. Structurally invalid members are left out of the overlay.
func (v *Validator) unionOf(idx []int) orb.MultiPolygon {
	allowed := make(map[int]bool, len(idx))
	for _, i := range idx {
		allowed[i] = !v.ms[i].empty && !v.structural[i] && v.status[i] != nil
	}
	take := map[int]bool{}
	for _, i := range idx {
		if !allowed[i] {
			continue
		}
		dirty := false
		for _, s := range v.status[i] {
			for _, x := range s {
				dirty = dirty || x != segMatched
			}
		}
		if !dirty {
			continue
		}
		take[i] = true
		b := v.ms[i].bound
		v.eng.tree.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, n int) bool {
			if allowed[n] {
				take[n] = true
			}
			return true
		})
	}
	if len(take) == 0 {
		return nil
	}
	ids := make([]int, 0, len(take))
	for i := range take {
		ids = append(ids, i)
	}
	slices.Sort(ids)
	gs := make([]orb.Geometry, len(ids))
	for k, i := range ids {
		gs[k] = v.geoms[i]
	}
	u, err := unionAll(gs)
	if err != nil {
		v.defects = append(v.defects, Defect{Kind: Gap, Unit: v.unitArea(), Message: "union of members could not be computed: " + err.Error()})
	}
	return u
}

// covered tells whether a point inside hole lies inside some member.
func (v *Validator) covered(hole orb.Polygon) bool {
	var p orb.Point
	ok := false
	func() {
		defer func() { _ = recover() }()
		pt := toSFPolygon(hole).PointOnSurface()
		if xy, has := pt.XY(); has {
			p, ok = orb.Point{xy.X, xy.Y}, true
		}
	}()
	if !ok {
		return false
	}
	found := false
	v.eng.tree.Search([2]float64{p[0], p[1]}, [2]float64{p[0], p[1]}, func(_, _ [2]float64, i int) bool {
		if v.ms[i].locateMember(p) == interior {
			found = true
			return false
		}
		return true
	})
	return found
}

// bordering lists the members on whose boundary a vertex of poly lies.
func (v *Validator) bordering(poly orb.Polygon) []int {
	b := poly.Bound()
	var out []int
	v.eng.tree.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, i int) bool {
		for _, r := range poly {
			for _, p := range r {
				if v.ms[i].locateMember(p) == boundary {
					out = append(out, i)
					return true
				}
			}
		}
		return true
	})
	slices.Sort(out)
	return out
}

// boundaryUnion builds the union of a coverage with no crossing or
// overlapping edges from its unmatched segments alone: oriented with the
// interior on the left they chain into the union's shells (CCW) and holes
// (CW). False if the segments do not close into rings.
func (v *Validator) boundaryUnion() (orb.MultiPolygon, bool) {
	type dedge struct {
		a, b orb.Point
		used bool
	}
	var edges []dedge
	for i, m := range v.ms {
		if m.empty || v.status[i] == nil {
			continue
		}
		for ri := range m.rings {
			r := &m.rings[ri]
			for k := 0; k+1 < len(r.pts); k++ {
				if v.status[i][ri][k] == segMatched {
					continue
				}
				a, b := r.pts[k], r.pts[k+1]
				if r.interiorOnRight {
					a, b = b, a
				}
				edges = append(edges, dedge{a: a, b: b})
			}
		}
	}
	out := make(map[orb.Point][]int, len(edges))
	for i, e := range edges {
		out[e.a] = append(out[e.a], i)
	}
	var shells, holes [][]orb.Point
	for i := range edges {
		if edges[i].used {
			continue
		}
		start := edges[i].a
		ring := []orb.Point{start}
		cur := i
		for steps := 0; ; steps++ {
			if steps > len(edges) {
				return nil, false
			}
			edges[cur].used = true
			at := edges[cur].b
			ring = append(ring, at)
			if at == start {
				break
			}
			back := math.Atan2(edges[cur].a[1]-at[1], edges[cur].a[0]-at[0])
			next, best := -1, math.Inf(1)
			for _, c := range out[at] {
				if edges[c].used {
					continue
				}
				ang := math.Atan2(edges[c].b[1]-at[1], edges[c].b[0]-at[0]) - back
				for ang <= 0 {
					ang += 2 * math.Pi
				}
				if ang < best {
					next, best = c, ang
				}
			}
			if next < 0 {
				return nil, false
			}
			cur = next
		}
		if signedArea2(ring) >= 0 {
			shells = append(shells, ring)
		} else {
			holes = append(holes, ring)
		}
	}
	mp := make(orb.MultiPolygon, len(shells))
	areas := make([]float64, len(shells))
	bounds := make([]orb.Bound, len(shells))
	for i, s := range shells {
		mp[i] = orb.Polygon{orb.Ring(s)}
		areas[i] = signedArea2(s)
		bounds[i] = ringBound(s)
	}
	for _, h := range holes {
		best := -1
		for i, s := range shells {
			if !bounds[i].Contains(h[0]) || firstOffBoundary(h, s) == exterior {
				continue
			}
			if best < 0 || areas[i] < areas[best] {
				best = i
			}
		}
		if best < 0 {
			return nil, false
		}
		mp[best] = append(mp[best], orb.Ring(h))
	}
	return mp, true
}
