// Package earth holds the WGS-84 ellipsoid and the one local metres-per-degree
// scale every geometry package uses.
package earth

import "math"

// The WGS-84 ellipsoid (CGCS2000's differs in the flattening's 10th digit).
const (
	A  = 6378137.0         // semi-major axis, m
	F  = 1 / 298.257223563 // flattening
	E2 = F * (2 - F)       // first eccentricity squared
)

// MetresPerDegree returns the length in metres of one degree of longitude
// (kx) and of latitude (ky) at latitude lat, from the ellipsoid's prime
// vertical and meridional radii of curvature. Scaling coordinate differences
// by (kx, ky) is a local equirectangular projection: over a grid-sized
// neighbourhood (a few km) the distance error is far below 0.5%; it grows
// with the north-south extent, roughly as the change of cos(lat) across it.
func MetresPerDegree(lat float64) (kx, ky float64) {
	phi := lat * math.Pi / 180
	s := math.Sin(phi)
	w := math.Sqrt(1 - E2*s*s)
	n := A / w
	m := A * (1 - E2) / (w * w * w)
	return n * math.Cos(phi) * math.Pi / 180, m * math.Pi / 180
}
