package locate

import "math"

// boundaryDistance returns the distance in metres from (x, y) to the
// nearest edge of any ring of c, with coordinate differences scaled by
// (kx, ky) metres per degree. It does not test containment: for a point
// inside c it is the distance to the cell's border, for a point outside c
// the distance to the cell. Empty cells return +Inf.
func (c *cell) boundaryDistance(x, y, kx, ky float64) float64 {
	best := math.Inf(1)
	for i := range c.rings {
		r := &c.rings[i]
		// Skip rings whose box is already farther than the best edge.
		if d2 := boxDist2(x, y, kx, ky, r.minX, r.minY, r.maxX, r.maxY); d2 >= best {
			continue
		}
		xy := r.xy
		ax, ay := (xy[0]-x)*kx, (xy[1]-y)*ky
		for k := 2; k+1 < len(xy); k += 2 {
			bx, by := (xy[k]-x)*kx, (xy[k+1]-y)*ky
			if d2 := segDist2(ax, ay, bx, by); d2 < best {
				best = d2
			}
			ax, ay = bx, by
		}
	}
	return math.Sqrt(best)
}

// segDist2 is the squared distance from the origin to segment a–b.
func segDist2(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = -(ax*dx + ay*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	px, py := ax+t*dx, ay+t*dy
	return px*px + py*py
}

// boxDist2 is the squared metric distance from (x, y) to a degree box.
func boxDist2(x, y, kx, ky, minX, minY, maxX, maxY float64) float64 {
	dx := math.Max(0, math.Max(minX-x, x-maxX)) * kx
	dy := math.Max(0, math.Max(minY-y, y-maxY)) * ky
	return dx*dx + dy*dy
}
