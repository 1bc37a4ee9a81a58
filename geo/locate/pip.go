package locate

// Point-in-ring classification.
const (
	outside = iota
	inside
	onBoundary
)

// classify returns where (x, y) lies relative to the closed ring r: outside,
// inside, or onBoundary. It is a crossing-number test with exact on-edge
// detection: the side of each straddling edge comes from the exact sign of
// the orientation determinant (see orient), so a point is on the boundary
// exactly when it lies on an edge in real arithmetic, as in GEOS/PostGIS.
// Two cells sharing an edge (identical endpoints) therefore agree on which
// side of it a point is, whatever their ring directions: a point off the
// shared edge is in exactly one of them, a point on it is on both. (The
// endpoints are still put in a canonical order, lower y first, which keeps
// the sign convention of the crossing rule.)
func (r *ring) classify(x, y float64) int {
	if !(x >= r.minX && x <= r.maxX && y >= r.minY && y <= r.maxY) {
		return outside // written so that NaN is outside too
	}
	xy := r.xy
	in := false
	ax, ay := xy[0], xy[1]
	for i := 2; i+1 < len(xy); i += 2 {
		bx, by := xy[i], xy[i+1]
		if (ay > y) != (by > y) {
			// Straddling edge: orient(lo, hi, p) > 0 means p is left of the
			// upward edge, so the ray towards +x crosses it.
			lx, ly, hx, hy := ax, ay, bx, by
			if ay > by {
				lx, ly, hx, hy = bx, by, ax, ay
			}
			o := orient(lx, ly, hx, hy, x, y)
			if o == 0 {
				return onBoundary
			}
			if o > 0 {
				in = !in
			}
		} else if ay == y {
			if ax == x {
				return onBoundary
			}
			if by == y && (ax < x) != (bx < x) {
				return onBoundary // on a horizontal edge
			}
		}
		ax, ay = bx, by
	}
	if in {
		return inside
	}
	return outside
}

// contains reports whether (x, y) is in c's closed area (interior or
// boundary, including the boundary of holes).
func (c *cell) contains(x, y float64) bool {
	rs := c.rings
	for i := 0; i < len(rs); i += rs[i].n {
		switch rs[i].classify(x, y) {
		case outside:
			continue
		case onBoundary:
			return true
		}
		in := true
		for h := i + 1; h < i+rs[i].n; h++ {
			k := rs[h].classify(x, y)
			if k == onBoundary {
				return true
			}
			if k == inside {
				in = false
				break
			}
		}
		if in {
			return true
		}
	}
	return false
}

// bandContains is cell.contains restricted to one grid row: edges holds, as
// lo.x, lo.y, hi.x, hi.y quadruples (lo = lower y), every edge of the
// cell's rings whose y-range meets the row — every edge that can straddle
// or touch the horizontal line through a point of the row. It applies
// classify's tests to those edges only. The crossing parity over all rings
// equals containment for valid (OGC) polygons and multipolygons, which is
// what a grid partition is; for overlapping parts use contains.
func bandContains(edges []float64, x, y float64) bool {
	in := false
	for k := 0; k+3 < len(edges); k += 4 {
		lx, ly, hx, hy := edges[k], edges[k+1], edges[k+2], edges[k+3]
		if y < ly || y > hy || (lx < x && hx < x) {
			continue // cannot touch p nor cross the ray towards +x
		}
		if y < hy { // ly <= y < hy: straddling, as in classify
			o := orient(lx, ly, hx, hy, x, y)
			if o == 0 {
				return true
			}
			if o > 0 {
				in = !in
			}
		} else if hx == x || (ly == y && (lx < x) != (hx < x)) || (ly == y && lx == x) {
			return true // p is the upper vertex, or on a horizontal edge
		}
	}
	return in
}
