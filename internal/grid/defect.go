package grid

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/geo/tile"
)

// Defect is one coverage problem as the API reports it. Codes are the unit
// codes involved; Features, only for defects found in a submitted file, are
// the 0-based numbers of its features involved (the same numbers the error
// messages use). Every answer names units by "codes" and file features by
// "features", nothing else.
type Defect struct {
	Kind     coverage.Kind
	Codes    []string
	Features []int
	Geom     orb.Geometry
	Size     float64
	Unit     string // coverage.UnitSquareMetres unless said
	Message  string
	Parent   string // the unit whose children overlap, leave a gap…; "" if not known
	Level    string // level name of the units concerned; "" if not known
	// Severity is said where a report mixes both: "error" refuses the
	// file, "warning" does not; "" (not written) is an error.
	Severity string
}

// FromCoverage turns geo/coverage defects of members (member i has code
// codes[i] and is feature features[i] of a file; either may be nil) into
// Defects under parent.
func FromCoverage(ds []coverage.Defect, codes []string, features []int, parent string) []Defect {
	out := make([]Defect, len(ds))
	for i, d := range ds {
		x := Defect{Kind: d.Kind, Codes: []string{}, Geom: d.Geometry, Size: d.Size, Unit: d.Unit, Message: d.Message, Parent: parent}
		for _, m := range d.Features {
			if m >= 0 && m < len(codes) {
				x.Codes = append(x.Codes, codes[m])
			}
			if features != nil {
				if m >= 0 && m < len(features) {
					x.Features = append(x.Features, features[m])
				}
			}
		}
		if features != nil && x.Features == nil {
			x.Features = []int{}
		}
		out[i] = x
	}
	return out
}

// Feature is the defect as a GeoJSON Feature: properties kind, codes, size,
// unit, message, and features, parent, level and severity when known.
func (d Defect) Feature() *geojson.Feature {
	g := d.Geom
	if g == nil {
		g = orb.Collection{}
	}
	f := geojson.NewFeature(g)
	codes := d.Codes
	if codes == nil {
		codes = []string{}
	}
	unit := d.Unit
	if unit == "" {
		unit = coverage.UnitSquareMetres
	}
	f.Properties["kind"] = string(d.Kind)
	f.Properties["codes"] = codes
	f.Properties["size"] = d.Size
	f.Properties["unit"] = unit
	f.Properties["message"] = d.Message
	if d.Features != nil {
		f.Properties["features"] = d.Features
	}
	if d.Parent != "" {
		f.Properties["parent_code"] = d.Parent
	}
	if d.Level != "" {
		f.Properties["level"] = d.Level
	}
	if d.Severity != "" {
		f.Properties["severity"] = d.Severity
	}
	return f
}

// TileProperties are Feature's properties for a vector tile (the defects
// layer of mapdata), in key order; a tile value is a scalar, so the lists
// (codes, features) are joined by commas.
func (d Defect) TileProperties() []tile.Property {
	props := d.Feature().Properties
	out := make([]tile.Property, 0, len(props))
	for _, k := range slices.Sorted(maps.Keys(props)) {
		v := props[k]
		switch x := v.(type) {
		case []string:
			v = strings.Join(x, ",")
		case []int:
			s := make([]string, len(x))
			for i, n := range x {
				s[i] = strconv.Itoa(n)
			}
			v = strings.Join(s, ",")
		}
		out = append(out, tile.Property{Key: k, Value: v})
	}
	return out
}

// FeatureCollection is the one GeoJSON encoding of defects (an empty
// collection for none).
func FeatureCollection(ds []Defect) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, d := range ds {
		fc.Append(d.Feature())
	}
	return fc
}
