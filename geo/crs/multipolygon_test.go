package crs

import (
	"testing"

	"github.com/paulmach/orb"
)

func TestMultiPolygonToWGS84(t *testing.T) {
	ring := orb.Ring{{120.1, 30.2}, {120.2, 30.2}, {120.2, 30.3}, {120.1, 30.2}}
	mp := orb.MultiPolygon{{ring}}
	got := MultiPolygonToWGS84(GCJ02, mp)
	for k, pt := range got[0][0] {
		if want := GCJ02ToWGS84(ring[k]); pt != want {
			t.Errorf("vertex %d: %v, want %v", k, pt, want)
		}
	}
	if mp[0][0][0] != (orb.Point{120.1, 30.2}) {
		t.Errorf("input changed: %v", mp[0][0][0])
	}
}
