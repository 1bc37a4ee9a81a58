package locate

import (
	"math"

	"github.com/paulmach/orb"
)

// Cell is one grid cell: its code and its area. Holes are respected; a
// MultiPolygon cell may have several disjoint parts. The index keeps a
// reference to Geometry: callers must not modify it afterwards.
type Cell struct {
	Code     string
	Geometry orb.MultiPolygon
}

// ring is one closed ring flattened to x0,y0,x1,y1,…,xn,yn with the first
// point repeated at the end, so edge i is (xy[2i],xy[2i+1])→(xy[2i+2],…).
// In a cell's ring list each polygon is its outer ring, whose n counts the
// polygon's rings (outer plus holes), followed by its holes (n == 0).
type ring struct {
	minX, minY, maxX, maxY float64
	xy                     []float64
	n                      int
}

// cell is the compiled, immutable form of a Cell shared by snapshots.
type cell struct {
	code  string
	geom  orb.MultiPolygon
	bound orb.Bound
	rings []ring // polygons in order, see ring
	empty bool   // no usable ring: stored, but matches no point
}

// compile flattens c's rings. Rings with fewer than three distinct points
// are dropped (they enclose nothing); a polygon whose outer ring is dropped
// is dropped with its holes.
func compile(c Cell) *cell {
	out := &cell{code: c.Code, geom: c.Geometry}
	n := 0
	for _, p := range c.Geometry {
		for _, r := range p {
			n += 2 * (len(r) + 1)
		}
	}
	buf := make([]float64, 0, n)
	for _, p := range c.Geometry {
		outer := len(out.rings)
		for i, r := range p {
			fr, ok := flatten(r, &buf)
			if !ok {
				if i == 0 {
					break
				}
				continue
			}
			out.rings = append(out.rings, fr)
			out.rings[outer].n++
		}
	}
	if len(out.rings) == 0 {
		out.empty = true
		return out
	}
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, r := range out.rings {
		if r.n == 0 {
			continue // holes lie within their outer ring
		}
		b.Min[0], b.Min[1] = math.Min(b.Min[0], r.minX), math.Min(b.Min[1], r.minY)
		b.Max[0], b.Max[1] = math.Max(b.Max[0], r.maxX), math.Max(b.Max[1], r.maxY)
	}
	out.bound = b
	return out
}

// flatten appends r (closed if it was not) to *buf and returns the ring
// view; ok is false for rings with non-finite coordinates or fewer than
// three distinct points.
func flatten(r orb.Ring, buf *[]float64) (ring, bool) {
	if len(r) == 0 {
		return ring{}, false
	}
	start := len(*buf)
	fr := ring{minX: math.Inf(1), minY: math.Inf(1), maxX: math.Inf(-1), maxY: math.Inf(-1)}
	distinct := 0
	for i, p := range r {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
			*buf = (*buf)[:start]
			return ring{}, false
		}
		if i == 0 || p != r[i-1] {
			distinct++
		}
		*buf = append(*buf, p[0], p[1])
		fr.minX, fr.minY = math.Min(fr.minX, p[0]), math.Min(fr.minY, p[1])
		fr.maxX, fr.maxY = math.Max(fr.maxX, p[0]), math.Max(fr.maxY, p[1])
	}
	if r[0] != r[len(r)-1] {
		*buf = append(*buf, r[0][0], r[0][1])
	} else if distinct > 1 {
		distinct-- // the closing point repeats the first
	}
	if distinct < 3 {
		*buf = (*buf)[:start]
		return ring{}, false
	}
	fr.xy = (*buf)[start:len(*buf):len(*buf)]
	return fr, true
}
