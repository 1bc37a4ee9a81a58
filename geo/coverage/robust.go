package coverage

import (
	"github.com/paulmach/orb"

	"wangge/geo/predicate"
)

// orient is geo/predicate's exact orientation: +1 if c lies left of the
// line a→b, -1 if right, 0 if on it.
func orient(a, b, c orb.Point) int { return predicate.Orient(a, b, c) }

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// hit classifies how two segments meet, like JTS RobustLineIntersector.
type hit int

const (
	hitNone      hit = iota
	hitCollinear     // collinear, sharing more than one point
	hitInterior      // one point, interior to one segment, an endpoint of the other
	hitProper        // one point, interior to both (a crossing)
	hitEndpoint      // one point, an endpoint of both segments
)

func inBox(a, b, p orb.Point) bool {
	return p[0] >= min(a[0], b[0]) && p[0] <= max(a[0], b[0]) &&
		p[1] >= min(a[1], b[1]) && p[1] <= max(a[1], b[1])
}

// intersect classifies segments a0a1 and b0b1 (both of non-zero length) and
// returns the intersection point when it is a single point.
func intersect(a0, a1, b0, b1 orb.Point) (hit, orb.Point) {
	if max(a0[0], a1[0]) < min(b0[0], b1[0]) || max(b0[0], b1[0]) < min(a0[0], a1[0]) ||
		max(a0[1], a1[1]) < min(b0[1], b1[1]) || max(b0[1], b1[1]) < min(a0[1], a1[1]) {
		return hitNone, orb.Point{}
	}
	o1 := orient(a0, a1, b0)
	o2 := orient(a0, a1, b1)
	if o1 == 0 && o2 == 0 {
		return collinear(a0, a1, b0, b1)
	}
	if o1*o2 > 0 {
		return hitNone, orb.Point{}
	}
	o3 := orient(b0, b1, a0)
	o4 := orient(b0, b1, a1)
	if o3*o4 > 0 {
		return hitNone, orb.Point{}
	}
	if o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
		return hitProper, crossingPoint(a0, a1, b0, b1)
	}
	var p orb.Point
	switch {
	case o1 == 0 && inBox(a0, a1, b0):
		p = b0
	case o2 == 0 && inBox(a0, a1, b1):
		p = b1
	case o3 == 0 && inBox(b0, b1, a0):
		p = a0
	case o4 == 0 && inBox(b0, b1, a1):
		p = a1
	default:
		return hitProper, crossingPoint(a0, a1, b0, b1)
	}
	if (p == a0 || p == a1) && (p == b0 || p == b1) {
		return hitEndpoint, p
	}
	return hitInterior, p
}

// collinear handles segments on one line: overlapping in more than a point,
// touching end to end, or disjoint.
func collinear(a0, a1, b0, b1 orb.Point) (hit, orb.Point) {
	ax := 0
	if a0[0] == a1[0] {
		ax = 1
	}
	alo, ahi := min(a0[ax], a1[ax]), max(a0[ax], a1[ax])
	blo, bhi := min(b0[ax], b1[ax]), max(b0[ax], b1[ax])
	lo, hi := max(alo, blo), min(ahi, bhi)
	if lo > hi {
		return hitNone, orb.Point{}
	}
	if lo < hi {
		return hitCollinear, orb.Point{}
	}
	for _, p := range [4]orb.Point{a0, a1, b0, b1} {
		if p[ax] == lo {
			return hitEndpoint, p
		}
	}
	return hitNone, orb.Point{}
}

// location of a point relative to a polygon.
type location int

const (
	exterior location = iota
	boundary
	interior
)

// ringCrossing updates a ray-crossing count for point p against segment
// p1p2 (ray towards +x) and reports whether p lies on the segment; this is
// the JTS RayCrossingCounter rule, exact through orient.
func ringCrossing(p, p1, p2 orb.Point) (crosses, onSeg bool) {
	if p1[0] < p[0] && p2[0] < p[0] {
		return false, false
	}
	if p == p1 || p == p2 {
		return false, true
	}
	if p1[1] == p[1] && p2[1] == p[1] {
		return false, p[0] >= min(p1[0], p2[0]) && p[0] <= max(p1[0], p2[0])
	}
	if (p1[1] > p[1] && p2[1] <= p[1]) || (p2[1] > p[1] && p1[1] <= p[1]) {
		o := orient(p1, p2, p)
		if o == 0 {
			return false, true
		}
		if p2[1] < p1[1] {
			o = -o
		}
		return o > 0, false
	}
	return false, false
}

// locateInRing locates p relative to a closed ring.
func locateInRing(p orb.Point, ring []orb.Point) location {
	n := 0
	for i := 0; i+1 < len(ring); i++ {
		c, on := ringCrossing(p, ring[i], ring[i+1])
		if on {
			return boundary
		}
		if c {
			n++
		}
	}
	if n%2 == 1 {
		return interior
	}
	return exterior
}

// crossingPoint approximates where two crossing segments meet (for
// reporting only), clamped to the first segment's box.
func crossingPoint(a0, a1, b0, b1 orb.Point) orb.Point {
	d := (a1[0]-a0[0])*(b1[1]-b0[1]) - (a1[1]-a0[1])*(b1[0]-b0[0])
	if d == 0 {
		return a0
	}
	t := ((b0[0]-a0[0])*(b1[1]-b0[1]) - (b0[1]-a0[1])*(b1[0]-b0[0])) / d
	t = max(0, min(1, t))
	return orb.Point{a0[0] + t*(a1[0]-a0[0]), a0[1] + t*(a1[1]-a0[1])}
}
