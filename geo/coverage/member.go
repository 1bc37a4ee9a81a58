package coverage

import (
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// cring is a ring prepared for coverage checks: closed, without repeated
// points, with its orientation relative to the polygon interior recorded.
type cring struct {
	pts             []orb.Point
	interiorOnRight bool
	poly            int // index of the polygon in member.polys
}

// cpoly is one polygon of a member: ring indices into member.rings, shell first.
type cpoly struct {
	rings []int
	bound orb.Bound
}

// member is one coverage element prepared for checks.
type member struct {
	rings []cring
	polys []cpoly
	bound orb.Bound
	empty bool

	segOnce sync.Once
	segTree *rtree.RTreeG[segRef]
	nseg    int
}

type segRef struct{ ring, idx int32 }

// linearScanLimit is the segment count under which scanning all segments
// beats building and querying an R-tree.
const linearScanLimit = 48

// polygonsOf flattens a Polygon, MultiPolygon or Collection into polygons;
// other types contribute nothing.
func polygonsOf(g orb.Geometry) []orb.Polygon {
	switch t := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{t}
	case orb.MultiPolygon:
		return t
	case orb.Collection:
		var out []orb.Polygon
		for _, c := range t {
			out = append(out, polygonsOf(c)...)
		}
		return out
	case orb.Ring:
		return []orb.Polygon{{t}}
	}
	return nil
}

// cleanRing closes the ring and drops repeated consecutive points and
// non-finite coordinates, as JTS does before coverage checks.
func cleanRing(r orb.Ring) []orb.Point {
	out := make([]orb.Point, 0, len(r)+1)
	for _, p := range r {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == p {
			continue
		}
		out = append(out, p)
	}
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}

// signedArea2 is twice the planar signed area of a closed ring (CCW > 0),
// translated to its first point for precision.
func signedArea2(pts []orb.Point) float64 {
	if len(pts) < 3 {
		return 0
	}
	x0, y0 := pts[0][0], pts[0][1]
	s := 0.0
	for i := 1; i+1 < len(pts); i++ {
		s += (pts[i][0]-x0)*(pts[i+1][1]-y0) - (pts[i+1][0]-x0)*(pts[i][1]-y0)
	}
	return s
}

func newMember(g orb.Geometry) *member {
	m := &member{bound: orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}}
	for _, p := range polygonsOf(g) {
		cp := cpoly{bound: m.bound}
		for ri, r := range p {
			pts := cleanRing(r)
			if len(pts) < 2 {
				if ri == 0 {
					break // no shell: holes alone cover nothing
				}
				continue
			}
			ccw := signedArea2(pts) > 0
			isShell := ri == 0
			cp.rings = append(cp.rings, len(m.rings))
			m.rings = append(m.rings, cring{pts: pts, interiorOnRight: isShell != ccw, poly: len(m.polys)})
			for _, q := range pts {
				cp.bound = cp.bound.Extend(q)
			}
			m.nseg += len(pts) - 1
		}
		if len(cp.rings) == 0 {
			continue
		}
		m.polys = append(m.polys, cp)
		m.bound = m.bound.Union(cp.bound)
	}
	m.empty = len(m.rings) == 0
	return m
}

// segments calls fn for every segment whose box intersects b; fn returns
// false to stop.
func (m *member) segments(b orb.Bound, fn func(ring, idx int) bool) {
	if m.nseg > linearScanLimit {
		m.segOnce.Do(m.buildTree)
		m.segTree.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]},
			func(_, _ [2]float64, s segRef) bool { return fn(int(s.ring), int(s.idx)) })
		return
	}
	for ri, r := range m.rings {
		for i := 0; i+1 < len(r.pts); i++ {
			a, c := r.pts[i], r.pts[i+1]
			if max(a[0], c[0]) < b.Min[0] || min(a[0], c[0]) > b.Max[0] ||
				max(a[1], c[1]) < b.Min[1] || min(a[1], c[1]) > b.Max[1] {
				continue
			}
			if !fn(ri, i) {
				return
			}
		}
	}
}

func (m *member) buildTree() {
	m.segTree = &rtree.RTreeG[segRef]{}
	for ri, r := range m.rings {
		for i := 0; i+1 < len(r.pts); i++ {
			a, c := r.pts[i], r.pts[i+1]
			m.segTree.Insert([2]float64{min(a[0], c[0]), min(a[1], c[1])},
				[2]float64{max(a[0], c[0]), max(a[1], c[1])}, segRef{int32(ri), int32(i)})
		}
	}
}

// locate finds p relative to polygon pi of the member (holes excluded).
func (m *member) locate(pi int, p orb.Point) location {
	cp := m.polys[pi]
	if !cp.bound.Contains(p) {
		return exterior
	}
	if m.nseg <= linearScanLimit {
		loc := locateInRing(p, m.rings[cp.rings[0]].pts)
		if loc != interior {
			return loc
		}
		for _, h := range cp.rings[1:] {
			switch locateInRing(p, m.rings[h].pts) {
			case boundary:
				return boundary
			case interior:
				return exterior
			}
		}
		return interior
	}
	// Count crossings of the ray to +x per ring, using the segment index.
	counts := map[int]int{}
	on := false
	m.segments(orb.Bound{Min: p, Max: orb.Point{cp.bound.Max[0], p[1]}}, func(ri, i int) bool {
		if m.rings[ri].poly != pi {
			return true
		}
		r := m.rings[ri].pts
		c, o := ringCrossing(p, r[i], r[i+1])
		if o {
			on = true
			return false
		}
		if c {
			counts[ri]++
		}
		return true
	})
	if on {
		return boundary
	}
	if counts[cp.rings[0]]%2 == 0 {
		return exterior
	}
	for _, h := range cp.rings[1:] {
		if counts[h]%2 == 1 {
			return exterior
		}
	}
	return interior
}

// locateMember finds p relative to the whole member.
func (m *member) locateMember(p orb.Point) location {
	best := exterior
	for pi := range m.polys {
		switch m.locate(pi, p) {
		case interior:
			return interior
		case boundary:
			best = boundary
		}
	}
	return best
}
