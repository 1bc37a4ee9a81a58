package tile

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// ipt is a point on the integer tile grid; int64 keeps every orientation test
// exact.
type ipt struct{ x, y int64 }

// snapPoints rounds pts to the integer grid into dst, dropping consecutive
// repeats (and, for rings, the closing point).
func snapPoints(dst []ipt, pts []orb.Point, ring bool) []ipt {
	dst = dst[:0]
	for _, p := range pts {
		q := ipt{int64(math.Round(p[0])), int64(math.Round(p[1]))}
		if n := len(dst); n > 0 && dst[n-1] == q {
			continue
		}
		dst = append(dst, q)
	}
	if ring {
		for len(dst) > 1 && dst[len(dst)-1] == dst[0] {
			dst = dst[:len(dst)-1]
		}
	}
	return dst
}

// cross is twice the signed area of triangle abc.
func cross(a, b, c ipt) int64 {
	return (b.x-a.x)*(c.y-a.y) - (b.y-a.y)*(c.x-a.x)
}

// cleanRing removes, in place, vertices of an open ring that are repeated or
// collinear with their neighbours; that also removes spikes (an edge walked
// back on itself), which clipping produces along the tile border.
func cleanRing(r []ipt) []ipt {
	out := r[:0]
	for _, p := range r {
		for len(out) >= 2 && cross(out[len(out)-2], out[len(out)-1], p) == 0 {
			out = out[:len(out)-1]
		}
		if len(out) == 1 && out[0] == p {
			continue
		}
		out = append(out, p)
	}
	// The stack pass cannot see the wrap-around corner; fix it there.
	for changed := true; changed && len(out) >= 3; {
		changed = false
		n := len(out)
		if cross(out[n-2], out[n-1], out[0]) == 0 {
			out = out[:n-1]
			changed = true
			continue
		}
		if cross(out[n-1], out[0], out[1]) == 0 {
			out = out[1:]
			changed = true
		}
	}
	return out
}

// area2 is twice the signed area of an open ring by the surveyor's formula;
// positive means clockwise on screen in tile coordinates (y down).
func area2(r []ipt) int64 {
	var s int64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i].x*r[j].y - r[j].x*r[i].y
	}
	return s
}

// validRing reports whether an open, cleaned ring is a valid MVT/OGC ring:
// at least three distinct vertices, non-zero area and no self-intersection.
func validRing(r []ipt) bool {
	return len(r) >= 3 && area2(r) != 0 && (convex(r) || !selfIntersects(r))
}

// convex reports whether the cleaned open ring r is a simple convex polygon:
// every turn has the same sign and each coordinate changes direction only
// twice around the ring (which rules out stars that wind more than once).
// Most grid cells are, and then the quadratic intersection test is skipped.
func convex(r []ipt) bool {
	n := len(r)
	turn := 0
	xFlips, yFlips := 0, 0
	pdx, pdy := r[0].x-r[n-1].x, r[0].y-r[n-1].y
	for i := range n {
		a, b, c := r[(i+n-1)%n], r[i], r[(i+1)%n]
		s := sign(cross(a, b, c))
		if s == 0 || (turn != 0 && s != turn) {
			return false
		}
		turn = s
		dx, dy := c.x-b.x, c.y-b.y
		if dx != 0 {
			if pdx != 0 && (dx > 0) != (pdx > 0) {
				xFlips++
			}
			pdx = dx
		}
		if dy != 0 {
			if pdy != 0 && (dy > 0) != (pdy > 0) {
				yFlips++
			}
			pdy = dy
		}
	}
	return xFlips <= 2 && yFlips <= 2
}

// selfIntersects reports whether two non-adjacent edges of the open ring r
// touch or cross. Adjacent edges are assumed not to overlap (cleanRing).
func selfIntersects(r []ipt) bool {
	n := len(r)
	if n <= 3 {
		return false
	}
	adjacent := func(i, j int) bool {
		return j == i+1 || (i == 0 && j == n-1)
	}
	if n <= 16 {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if !adjacent(i, j) && segmentsMeet(r[i], r[(i+1)%n], r[j], r[(j+1)%n]) {
					return true
				}
			}
		}
		return false
	}
	// Sweep along x: only edges whose x ranges overlap are compared.
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	minX := func(i int) int64 { return min(r[i].x, r[(i+1)%n].x) }
	maxX := func(i int) int64 { return max(r[i].x, r[(i+1)%n].x) }
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(minX(a), minX(b)) })
	for a := 0; a < n; a++ {
		i := idx[a]
		hi := maxX(i)
		for b := a + 1; b < n && minX(idx[b]) <= hi; b++ {
			j := idx[b]
			lo, up := min(i, j), max(i, j)
			if !adjacent(lo, up) && segmentsMeet(r[i], r[(i+1)%n], r[j], r[(j+1)%n]) {
				return true
			}
		}
	}
	return false
}

func sign(v int64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// onSegment reports whether c, collinear with ab, lies within ab's box.
func onSegment(a, b, c ipt) bool {
	return min(a.x, b.x) <= c.x && c.x <= max(a.x, b.x) && min(a.y, b.y) <= c.y && c.y <= max(a.y, b.y)
}

// segmentsMeet reports whether closed segments ab and cd share any point.
func segmentsMeet(a, b, c, d ipt) bool {
	d1 := sign(cross(c, d, a))
	d2 := sign(cross(c, d, b))
	d3 := sign(cross(a, b, c))
	d4 := sign(cross(a, b, d))
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return (d1 == 0 && onSegment(c, d, a)) || (d2 == 0 && onSegment(c, d, b)) ||
		(d3 == 0 && onSegment(a, b, c)) || (d4 == 0 && onSegment(a, b, d))
}
