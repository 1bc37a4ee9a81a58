package camera

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// A sector's area is angle/360·πr²; the arc's chords lose a little, and orb's
// spherical area differs from the ellipsoid's local scale by about 0.2%.
func TestViewAreaAndOrientation(t *testing.T) {
	for _, c := range []Camera{
		{Point: orb.Point{120.1, 30.25}, Azimuth: 0, Angle: 90, RangeM: 100},
		{Point: orb.Point{120.1, 30.25}, Azimuth: 135, Angle: 60, RangeM: 250},
		{Point: orb.Point{87.6, 43.8}, Azimuth: 359, Angle: 120, RangeM: 500},
		{Point: orb.Point{120.1, 30.25}, Azimuth: 10, Angle: 360, RangeM: 50},
		{Point: orb.Point{120.1, 30.25}, Azimuth: 200, Angle: 1, RangeM: 80},
	} {
		v, err := c.View()
		if err != nil {
			t.Fatal(err)
		}
		want := c.Angle / 360 * math.Pi * c.RangeM * c.RangeM
		got := geo.Area(v)
		if math.Abs(got-want) > 0.005*want {
			t.Errorf("%+v: area %.1f m², sector %.1f m²", c, got, want)
		}
		if planar.Area(v.Bound().ToPolygon()) == 0 || !v[0].Closed() || v[0].Orientation() != orb.CCW {
			t.Errorf("%+v: ring not closed and counter-clockwise", c)
		}
		// The middle of the arc lies along the azimuth at the range.
		if c.Angle < 360 {
			mid := v[0][len(v[0])/2]
			if d := geo.Distance(c.Point, mid); math.Abs(d-c.RangeM) > 0.005*c.RangeM {
				t.Errorf("%+v: arc at %.1f m", c, d)
			}
			if b := math.Mod(geo.Bearing(c.Point, mid)+360, 360); math.Abs(math.Mod(b-c.Azimuth+540, 360)-180) > 3 {
				t.Errorf("%+v: arc middle at bearing %.1f", c, b)
			}
		}
	}
}

// North is up, east is right.
func TestViewPointsWhereTheCameraLooks(t *testing.T) {
	p := orb.Point{120.1, 30.25}
	north, _ := Camera{Point: p, Azimuth: 0, Angle: 30, RangeM: 100}.View()
	east, _ := Camera{Point: p, Azimuth: 90, Angle: 30, RangeM: 100}.View()
	if b := north.Bound(); b.Min[1] < p[1]-1e-9 || b.Max[1] <= p[1] {
		t.Errorf("north view %v", b)
	}
	if b := east.Bound(); b.Min[0] < p[0]-1e-9 || b.Max[0] <= p[0] {
		t.Errorf("east view %v", b)
	}
}

func TestCheckRefusesImpossibleCameras(t *testing.T) {
	for _, c := range []struct {
		cam  Camera
		want string
	}{
		{Camera{Point: orb.Point{120, 30}, Azimuth: 360, Angle: 90, RangeM: 10}, "azimuth"},
		{Camera{Point: orb.Point{120, 30}, Azimuth: -1, Angle: 90, RangeM: 10}, "azimuth"},
		{Camera{Point: orb.Point{120, 30}, Azimuth: 0, Angle: 0, RangeM: 10}, "angle"},
		{Camera{Point: orb.Point{120, 30}, Azimuth: 0, Angle: 361, RangeM: 10}, "angle"},
		{Camera{Point: orb.Point{120, 30}, Azimuth: 0, Angle: 90, RangeM: 0}, "range"},
		{Camera{Point: orb.Point{120, 30}, Azimuth: 0, Angle: 90, RangeM: 501}, "range"},
		{Camera{Point: orb.Point{200, 30}, Azimuth: 0, Angle: 90, RangeM: 10}, "position"},
		{Camera{Point: orb.Point{120, math.NaN()}, Azimuth: 0, Angle: 90, RangeM: 10}, "finite"},
	} {
		if _, err := c.cam.View(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cam, err, c.want)
		}
	}
}
