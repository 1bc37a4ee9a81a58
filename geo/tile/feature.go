package tile

import (
	"errors"
	"fmt"

	"github.com/paulmach/orb"
)

// Property is one key/value of a feature; values may be string, bool, any Go
// integer or float type. Other value types make Encode fail.
type Property struct {
	Key   string
	Value any
}

// Feature is one feature of a Layer: a geometry in lon/lat (WGS-84) with an id
// and ordered properties. Collections and Bounds are not accepted as
// geometries; use Multi* types instead.
type Feature struct {
	ID         uint64
	Geometry   orb.Geometry
	Properties []Property
}

// Prop returns the value of key and whether the feature has it.
func (f Feature) Prop(key string) (any, bool) {
	for _, p := range f.Properties {
		if p.Key == key {
			return p.Value, true
		}
	}
	return nil, false
}

// errGeometry is wrapped by every rejection of a feature geometry.
var errGeometry = errors.New("tile: unsupported feature geometry")

// checkGeometry rejects geometries the encoder cannot write: nil, empty,
// collections and bounds.
func checkGeometry(g orb.Geometry) error {
	ok := false
	switch g := g.(type) {
	case orb.Point:
		ok = true
	case orb.MultiPoint:
		ok = len(g) > 0
	case orb.LineString:
		ok = len(g) >= 2
	case orb.MultiLineString:
		for _, l := range g {
			ok = ok || len(l) >= 2
		}
	case orb.Ring:
		ok = len(g) >= 3
	case orb.Polygon:
		ok = len(g) > 0 && len(g[0]) >= 3
	case orb.MultiPolygon:
		for _, p := range g {
			ok = ok || (len(p) > 0 && len(p[0]) >= 3)
		}
	}
	if !ok {
		return fmt.Errorf("%w: %T (nil, empty, collection or bound)", errGeometry, g)
	}
	return nil
}
