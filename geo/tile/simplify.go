package tile

import "github.com/paulmach/orb"

// douglasPeucker simplifies ls in place with tolerance tol, keeping the
// first and last points, and returns the shortened slice. It gives the same
// result as orb/simplify.DouglasPeucker (tested) but reuses the caller's
// scratch for the mask and stack: that allocation was a fifth of the tile
// encoding time.
func douglasPeucker(ls []orb.Point, tol float64, mask *[]bool, stack *[]int) []orb.Point {
	n := len(ls)
	if n <= 2 {
		return ls
	}
	m := (*mask)[:0]
	for range n {
		m = append(m, false)
	}
	m[0], m[n-1] = true, true
	st := append((*stack)[:0], 0, n-1)
	t2 := tol * tol
	for len(st) > 0 {
		start, end := st[len(st)-2], st[len(st)-1]
		st = st[:len(st)-2]
		a, b := ls[start], ls[end]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l2 := dx*dx + dy*dy
		maxD, maxI := 0.0, 0
		for i := start + 1; i < end; i++ {
			d := segDist2(a, b, dx, dy, l2, ls[i])
			if d > maxD {
				maxD, maxI = d, i
			}
		}
		if maxD > t2 {
			m[maxI] = true
			st = append(st, start, maxI, maxI, end)
		}
	}
	out := ls[:0]
	for i, keep := range m {
		if keep {
			out = append(out, ls[i])
		}
	}
	*mask, *stack = m, st
	return out
}

// segDist2 is the squared distance from p to segment ab, whose direction
// (dx, dy) and squared length l2 are precomputed, as orb/planar computes it.
func segDist2(a, b orb.Point, dx, dy, l2 float64, p orb.Point) float64 {
	x, y := a[0], a[1]
	if l2 != 0 {
		t := ((p[0]-x)*dx + (p[1]-y)*dy) / l2
		if t > 1 {
			x, y = b[0], b[1]
		} else if t > 0 {
			x += dx * t
			y += dy * t
		}
	}
	ex, ey := p[0]-x, p[1]-y
	return ex*ex + ey*ey
}
