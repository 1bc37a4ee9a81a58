package earth_test

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"wangge/geo/earth"
)

// TestMetresPerDegreeMatchesGeodesic compares the local scale with orb's
// haversine distance over 0.01° at several latitudes (the sphere differs
// from the ellipsoid by well under 1%).
func TestMetresPerDegreeMatchesGeodesic(t *testing.T) {
	for _, lat := range []float64{0, 22.5, 30.27, 45, 53} {
		kx, ky := earth.MetresPerDegree(lat)
		dx := geo.Distance(orb.Point{120, lat}, orb.Point{120.01, lat}) / 0.01
		dy := geo.Distance(orb.Point{120, lat}, orb.Point{120, lat + 0.01}) / 0.01
		if math.Abs(kx/dx-1) > 0.01 || math.Abs(ky/dy-1) > 0.01 {
			t.Errorf("lat %v: kx %.1f vs %.1f, ky %.1f vs %.1f", lat, kx, dx, ky, dy)
		}
	}
}
