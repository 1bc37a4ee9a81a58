package locate

import "math"

// WGS-84 ellipsoid, for the local metres-per-degree scale.
const (
	wgs84A  = 6378137.0
	wgs84E2 = 0.00669437999014
)

// metresPerDegree returns the length in metres of one degree of longitude
// (kx) and of latitude (ky) at latitude lat, from the ellipsoid's prime
// vertical and meridional radii of curvature. Scaling coordinate differences
// by (kx, ky) is a local equirectangular projection: over a grid-sized
// neighbourhood (a few km) the distance error is far below 0.5%; it grows
// with the north-south extent, roughly as the change of cos(lat) across it.
func metresPerDegree(lat float64) (kx, ky float64) {
	phi := lat * math.Pi / 180
	s := math.Sin(phi)
	w := 1 - wgs84E2*s*s
	n := wgs84A / math.Sqrt(w)
	m := wgs84A * (1 - wgs84E2) / (w * math.Sqrt(w))
	return n * math.Cos(phi) * math.Pi / 180, m * math.Pi / 180
}
