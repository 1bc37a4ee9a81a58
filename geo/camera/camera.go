// Package camera models a fixed surveillance camera's field of view on the
// ground: a circular sector from the camera's position, centred on its
// azimuth (degrees clockwise from north), as wide as its horizontal view
// angle and as deep as its useful range. Township plans add cameras where
// patrols leave blind spots (监控盲区): a grid minus the union of the views.
package camera

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"wangge/geo/earth"
)

// Limits of a plausible street camera.
const (
	MaxRangeM = 500.0
	// stepDeg bounds the arc's chord error: at 5° a 500 m range is off the
	// true arc by under 0.5 m.
	stepDeg = 5.0
)

// Camera is a camera's position and view.
type Camera struct {
	Point   orb.Point // lon, lat
	Azimuth float64   // degrees clockwise from north, [0, 360)
	Angle   float64   // horizontal view angle, degrees, (0, 360]
	RangeM  float64   // useful range, metres, (0, MaxRangeM]
}

// Check says what is wrong with a camera's numbers, if anything.
func (c Camera) Check() error {
	var errs []error
	for _, v := range []float64{c.Point[0], c.Point[1], c.Azimuth, c.Angle, c.RangeM} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("camera: numbers must be finite")
		}
	}
	if c.Point[0] < -180 || c.Point[0] > 180 || c.Point[1] < -85 || c.Point[1] > 85 {
		errs = append(errs, fmt.Errorf("position %v is not a longitude, latitude", c.Point))
	}
	if c.Azimuth < 0 || c.Azimuth >= 360 {
		errs = append(errs, fmt.Errorf("azimuth %g: want degrees from 0 to under 360, clockwise from north", c.Azimuth))
	}
	if c.Angle <= 0 || c.Angle > 360 {
		errs = append(errs, fmt.Errorf("angle %g: want degrees above 0, at most 360", c.Angle))
	}
	if c.RangeM <= 0 || c.RangeM > MaxRangeM {
		errs = append(errs, fmt.Errorf("range %g m: want above 0, at most %g", c.RangeM, MaxRangeM))
	}
	return errors.Join(errs...)
}

// View is the camera's field of view as a closed, counter-clockwise ring: the
// camera, then the arc from azimuth-angle/2 to azimuth+angle/2 (a full circle
// when the angle is 360°), on the local metres-per-degree scale.
func (c Camera) View() (orb.Polygon, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	kx, ky := earth.MetresPerDegree(c.Point[1])
	at := func(bearing float64) orb.Point {
		b := bearing * math.Pi / 180
		return orb.Point{c.Point[0] + c.RangeM*math.Sin(b)/kx, c.Point[1] + c.RangeM*math.Cos(b)/ky}
	}
	n := int(math.Ceil(c.Angle / stepDeg))
	start := c.Azimuth - c.Angle/2
	var ring orb.Ring
	full := c.Angle >= 360
	if !full {
		ring = append(ring, c.Point)
	}
	// Bearings grow clockwise; walk them backwards for a counter-clockwise ring.
	for i := n; i >= 0; i-- {
		if full && i == 0 {
			break
		}
		ring = append(ring, at(start+c.Angle*float64(i)/float64(n)))
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}, nil
}
