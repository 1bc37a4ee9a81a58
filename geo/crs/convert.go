package crs

import (
	"math"

	"github.com/paulmach/orb"
)

// Inverse iteration limits: the offsets' derivatives are ~1e-3 or smaller,
// so each fixed-point step gains about three digits and a handful of steps
// reach the float64 resolution of a degree coordinate.
const (
	inverseTol      = 1e-12 // degrees, ~0.1 µm
	inverseMaxSteps = 30
)

// finiteLonLat reports whether p is a finite longitude/latitude pair; other
// input is passed through unchanged by every conversion, since no offset is
// defined for it (and the trigonometry would otherwise produce NaN/Inf).
func finiteLonLat(p orb.Point) bool {
	return p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}

// WGS84ToGCJ02 applies the GCJ-02 offset. Points outside China (see InChina)
// and non-geographic input are returned unchanged.
func WGS84ToGCJ02(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	dlon, dlat := gcjOffset(p[0], p[1])
	return orb.Point{p[0] + dlon, p[1] + dlat}
}

// GCJ02ToWGS84 inverts WGS84ToGCJ02 iteratively: it refines w until
// WGS84ToGCJ02(w) is within 1e-12° of p, so the round trip error is far
// below a millimetre (the one-step approximation in common use is off by up
// to a couple of metres). Points outside China are returned unchanged.
// Within ~1 km of the China box edge the forward map is discontinuous and
// not one-to-one; there the offset formula is inverted without the box
// test, which may return a point whose forward image is itself.
func GCJ02ToWGS84(p orb.Point) orb.Point {
	if !InChina(p) {
		return p
	}
	w := p
	for range inverseMaxSteps {
		dlon, dlat := gcjOffset(w[0], w[1])
		ex := w[0] + dlon - p[0]
		ey := w[1] + dlat - p[1]
		w[0] -= ex
		w[1] -= ey
		if math.Abs(ex) < inverseTol && math.Abs(ey) < inverseTol {
			break
		}
	}
	return w
}

// GCJ02ToBD09 applies Baidu's BD-09 transform to a GCJ-02 point. It is
// defined everywhere; non-geographic input is returned unchanged.
func GCJ02ToBD09(p orb.Point) orb.Point {
	if !finiteLonLat(p) {
		return p
	}
	x, y := p[0], p[1]
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*xPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*xPi)
	return orb.Point{z*math.Cos(theta) + bdDLon, z*math.Sin(theta) + bdDLat}
}

// bd09ToGCJ02Approx is the published one-step inverse of GCJ02ToBD09; it is
// only accurate to ~1e-6°, so BD09ToGCJ02 uses it as a starting point.
func bd09ToGCJ02Approx(p orb.Point) orb.Point {
	x, y := p[0]-bdDLon, p[1]-bdDLat
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*xPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*xPi)
	return orb.Point{z * math.Cos(theta), z * math.Sin(theta)}
}

// BD09ToGCJ02 inverts GCJ02ToBD09 iteratively, starting from the published
// approximation, until GCJ02ToBD09 of the result is within 1e-12° of p.
// Non-geographic input is returned unchanged.
func BD09ToGCJ02(p orb.Point) orb.Point {
	if !finiteLonLat(p) {
		return p
	}
	g := bd09ToGCJ02Approx(p)
	for range inverseMaxSteps {
		if !finiteLonLat(g) {
			return g
		}
		b := GCJ02ToBD09(g)
		ex, ey := b[0]-p[0], b[1]-p[1]
		g[0] -= ex
		g[1] -= ey
		if math.Abs(ex) < inverseTol && math.Abs(ey) < inverseTol {
			break
		}
	}
	return g
}

// WGS84ToBD09 converts a WGS-84 point to BD-09 (via GCJ-02).
func WGS84ToBD09(p orb.Point) orb.Point {
	return GCJ02ToBD09(WGS84ToGCJ02(p))
}

// BD09ToWGS84 converts a BD-09 point to WGS-84 with the iterative inverses
// of both steps (round trip error well under a millimetre).
func BD09ToWGS84(p orb.Point) orb.Point {
	return GCJ02ToWGS84(BD09ToGCJ02(p))
}

// ToWGS84 converts p from sys to WGS-84. WGS84, CGCS2000 and any system not
// returned by Parse leave p unchanged.
func ToWGS84(sys System, p orb.Point) orb.Point {
	switch sys {
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return BD09ToWGS84(p)
	}
	return p
}

// FromWGS84 converts a WGS-84 point p to sys. WGS84, CGCS2000 and any system
// not returned by Parse leave p unchanged.
func FromWGS84(sys System, p orb.Point) orb.Point {
	switch sys {
	case GCJ02:
		return WGS84ToGCJ02(p)
	case BD09:
		return WGS84ToBD09(p)
	}
	return p
}

// MultiPolygonToWGS84 converts every vertex of mp from sys to WGS-84, into a
// new geometry (mp is not changed).
func MultiPolygonToWGS84(sys System, mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			nr := make(orb.Ring, len(r))
			for k, pt := range r {
				nr[k] = ToWGS84(sys, pt)
			}
			out[i][j] = nr
		}
	}
	return out
}
