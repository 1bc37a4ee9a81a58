package grid

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"wangge/geo/precision"
)

// Round puts mp on the 1e-7° grid and removes what rounding makes
// degenerate: repeated vertices, zero-width spikes (a→b→a), rings of fewer
// than three distinct vertices or no area, and polygons whose outer ring
// went. Shared edges stay shared: equal vertices round equally.
func Round(mp orb.MultiPolygon) orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, p := range mp {
		var np orb.Polygon
		for i, r := range p {
			nr := roundRing(r)
			if nr == nil {
				if i == 0 {
					break
				}
				continue
			}
			np = append(np, nr)
		}
		if len(np) > 0 {
			out = append(out, np)
		}
	}
	return out
}

func roundRing(r orb.Ring) orb.Ring {
	pts := make([]orb.Point, 0, len(r))
	for _, pt := range r {
		q := precision.Point(pt)
		if n := len(pts); n > 0 && pts[n-1] == q {
			continue
		}
		pts = append(pts, q)
	}
	if n := len(pts); n > 1 && pts[0] == pts[n-1] {
		pts = pts[:n-1]
	}
	// Remove spikes: a vertex whose two neighbours coincide, repeatedly
	// (removing one can expose another); bounded by the ring's length.
	for changed := true; changed && len(pts) >= 3; {
		changed = false
		for i := 0; i < len(pts) && len(pts) >= 3; i++ {
			n := len(pts)
			prev, next := pts[(i+n-1)%n], pts[(i+1)%n]
			if prev == next {
				// drop the spike tip and one copy of the repeated base
				j := (i + 1) % n
				pts = slices.Delete(pts, i, i+1)
				if j > i {
					j--
				}
				pts = slices.Delete(pts, j, j+1)
				changed = true
				i--
			}
		}
	}
	if len(pts) < 3 {
		return nil
	}
	ring := append(orb.Ring(pts), pts[0])
	if ringArea2(ring) == 0 {
		return nil
	}
	return ring
}

// ringArea2 is twice the signed planar area of a closed ring.
func ringArea2(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s
}

// DropSmallParts removes the parts of mp under minArea m² as long as a
// larger part remains: an edit must not leave a grid a sub-tolerance
// fragment (a two-part MultiPolygon with a zero-area spike).
func DropSmallParts(mp orb.MultiPolygon, minArea float64) orb.MultiPolygon {
	if len(mp) < 2 || minArea <= 0 {
		return mp
	}
	var out orb.MultiPolygon
	for _, p := range mp {
		if geo.Area(p) >= minArea {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return mp
	}
	return out
}

// SameShape reports whether a and b are the same shape on the 1e-7° grid:
// the same polygons with the same rings and vertices once rounded, whatever
// the order of the parts and holes, each ring's first vertex and its
// orientation. An added vertex, even on an edge, is a change; one within
// 1e-7° of its neighbour is not.
func SameShape(a, b orb.MultiPolygon) bool { return identical(Round(a), Round(b)) }

// identical is SameShape without rounding: exactly the same vertices.
func identical(a, b orb.MultiPolygon) bool {
	ca, cb := canonical(a), canonical(b)
	if len(ca) != len(cb) {
		return false
	}
	for i := range ca {
		if !slices.Equal(ca[i], cb[i]) {
			return false
		}
	}
	return true
}

// canonical lists every polygon as its rings concatenated, each ring
// counter-clockwise from its smallest vertex, holes sorted, polygons sorted.
func canonical(mp orb.MultiPolygon) [][]orb.Point {
	out := make([][]orb.Point, 0, len(mp))
	for _, p := range mp {
		rings := make([][]orb.Point, 0, len(p))
		for _, r := range p {
			rings = append(rings, canonicalRing(r))
		}
		if len(rings) > 1 {
			slices.SortFunc(rings[1:], comparePoints)
		}
		var flat []orb.Point
		for _, r := range rings {
			flat = append(flat, r...)
			flat = append(flat, orb.Point{math.Inf(1), 0}) // separator: never a vertex
		}
		out = append(out, flat)
	}
	slices.SortFunc(out, comparePoints)
	return out
}

func canonicalRing(r orb.Ring) []orb.Point {
	pts := []orb.Point(r[:len(r)-1])
	pts = slices.Clone(pts)
	if ringArea2(r) < 0 {
		slices.Reverse(pts)
	}
	k := 0
	for i, p := range pts {
		if lessPoint(p, pts[k]) {
			k = i
		}
	}
	return append(pts[k:], pts[:k]...)
}

func lessPoint(a, b orb.Point) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

func comparePoints(a, b []orb.Point) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		switch {
		case lessPoint(a[i], b[i]):
			return -1
		case lessPoint(b[i], a[i]):
			return 1
		}
	}
	return len(a) - len(b)
}

// Polygonal is g as a MultiPolygon when it is a Polygon or a MultiPolygon.
func Polygonal(g orb.Geometry) (orb.MultiPolygon, bool) {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, true
	case orb.MultiPolygon:
		return g, true
	}
	return nil, false
}
