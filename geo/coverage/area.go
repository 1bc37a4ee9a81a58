package coverage

import (
	"math"

	"github.com/paulmach/orb"

	"wangge/geo/earth"
)

// WGS-84 ellipsoid and local scale, from geo/earth.
const (
	wgsA  = earth.A
	wgsE2 = earth.E2
)

var metresPerDegree = earth.MetresPerDegree

// authalicY maps latitude to the y of the cylindrical equal-area projection
// of the ellipsoid (x = a·λ), so planar areas there are ellipsoidal areas.
func authalicY(lat float64) float64 {
	e := math.Sqrt(wgsE2)
	s := math.Sin(lat * math.Pi / 180)
	q := (1 - wgsE2) * (s/(1-wgsE2*s*s) - 1/(2*e)*math.Log((1-e*s)/(1+e*s)))
	return wgsA * q / 2
}

// ringArea returns the unsigned area of a closed ring: m² on the ellipsoid
// for lon/lat, coordinate units² when planar.
func ringArea(pts []orb.Point, planar bool) float64 {
	if planar || len(pts) < 3 {
		return abs(signedArea2(pts)) / 2
	}
	x0, y0 := pts[0][0], authalicY(pts[0][1])
	s := 0.0
	prevX, prevY := 0.0, 0.0
	for i := 1; i < len(pts); i++ {
		x := (pts[i][0] - x0) * math.Pi / 180 * wgsA
		y := authalicY(pts[i][1]) - y0
		s += prevX*y - x*prevY
		prevX, prevY = x, y
	}
	return abs(s) / 2
}

// polygonArea returns the area of an orb polygonal geometry (holes
// subtracted) in m² or planar units².
func polygonArea(g orb.Geometry, planar bool) float64 {
	a := 0.0
	for _, p := range polygonsOf(g) {
		for i, r := range p {
			ra := ringArea(r, planar)
			if i == 0 {
				a += ra
			} else {
				a -= ra
			}
		}
	}
	return max(a, 0)
}

// lineLength returns the length of a line in metres (lon/lat, ellipsoidal
// scale at each segment's mid-latitude) or planar units.
func lineLength(pts []orb.Point, planar bool) float64 {
	l := 0.0
	for i := 0; i+1 < len(pts); i++ {
		a, b := pts[i], pts[i+1]
		if planar {
			l += dist(a, b)
			continue
		}
		kx, ky := metresPerDegree((a[1] + b[1]) / 2)
		l += math.Hypot((b[0]-a[0])*kx, (b[1]-a[1])*ky)
	}
	return l
}

// geometryLength sums lineLength over the lines or ring boundaries of g.
func geometryLength(g orb.Geometry, planar bool) float64 {
	switch t := g.(type) {
	case orb.LineString:
		return lineLength(t, planar)
	case orb.MultiLineString:
		l := 0.0
		for _, ls := range t {
			l += lineLength(ls, planar)
		}
		return l
	}
	l := 0.0
	for _, p := range polygonsOf(g) {
		for _, r := range p {
			l += lineLength(r, planar)
		}
	}
	return l
}
