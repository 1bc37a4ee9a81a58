// Package unitio loads and exports the administrative tree of a
// jurisdiction: districts (区/县), streets (街道/乡镇), communities (社区/村)
// and estates (小区), from GeoJSON or zipped Shapefile. An import checks the
// whole file first and reports every defect at once (feature index, code,
// reason, and where on the map), then loads all or nothing.
package unitio

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"wangge/geo/shapefile"
	"wangge/internal/apperr"
	"wangge/internal/layerio"
)

// Mapping names the attributes holding each unit property; empty fields
// use the defaults code, name, parent_code, kind, level. A dotted name
// (parent.adcode) reads a nested GeoJSON property.
type Mapping struct {
	Code, Name, Parent, Kind, Level string
}

func (m Mapping) withDefaults() Mapping {
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&m.Code, "code")
	def(&m.Name, "name")
	def(&m.Parent, "parent_code")
	def(&m.Kind, "kind")
	def(&m.Level, "level")
	return m
}

// ParseMapping reads SOURCE=FIELD pairs (FIELD one of code, name,
// parent_code, kind, level).
func ParseMapping(pairs []string) (Mapping, error) {
	var m Mapping
	for _, p := range pairs {
		src, field, ok := strings.Cut(p, "=")
		src = strings.TrimSpace(src)
		if !ok || src == "" {
			return m, apperr.New(apperr.ErrInvalid, "map %q: want SOURCE=FIELD", p)
		}
		switch strings.TrimSpace(field) {
		case "code":
			m.Code = src
		case "name":
			m.Name = src
		case "parent_code":
			m.Parent = src
		case "kind":
			m.Kind = src
		case "level":
			m.Level = src
		default:
			return m, apperr.New(apperr.ErrInvalid, "map %q: FIELD must be code, name, parent_code, kind or level", p)
		}
	}
	return m, nil
}

// feature is one decoded feature before any rule is applied.
type feature struct {
	attrs func(key string) string
	geom  orb.Geometry
}

// decode reads a GeoJSON FeatureCollection or a zipped Shapefile (told
// apart by content). Only file-level problems are errors; a bad feature is
// kept for the checks to report along with all the others.
func decode(data []byte) ([]feature, error) {
	if bytes.HasPrefix(data, []byte("PK")) {
		l, err := shapefile.ReadZip(data)
		if err != nil {
			return nil, apperr.New(apperr.ErrInvalid, "units: %v", err)
		}
		if err := layerio.CheckPRJ(l.PRJ); err != nil {
			return nil, err
		}
		out := make([]feature, len(l.Features))
		for i, f := range l.Features {
			out[i] = feature{geom: f.Geometry, attrs: func(key string) string { return strings.TrimSpace(l.Value(f, key)) }}
		}
		return out, nil
	}
	fc, err := layerio.DecodeFeatureCollection(data, "units")
	if err != nil {
		return nil, err
	}
	out := make([]feature, len(fc.Features))
	for i, f := range fc.Features {
		props := map[string]any(f.Properties)
		out[i] = feature{geom: f.Geometry, attrs: func(key string) string { return property(props, key) }}
	}
	return out, nil
}

// property reads key (dotted for nested objects) as text; numbers that are
// whole print without a fraction (adcode 110105, not 1.10105e+05).
func property(props map[string]any, key string) string {
	v, ok := props[key]
	if !ok {
		if head, rest, dotted := strings.Cut(key, "."); dotted {
			if m, ok := props[head].(map[string]any); ok {
				return property(m, rest)
			}
		}
		return ""
	}
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
	}
	return fmt.Sprint(v)
}

// polygonal returns g as a MultiPolygon, or why it is not one.
func polygonal(g orb.Geometry) (orb.MultiPolygon, string) {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, ""
	case orb.MultiPolygon:
		return g, ""
	case nil:
		return nil, "no geometry"
	default:
		return nil, fmt.Sprintf("a %s, want Polygon or MultiPolygon", g.GeoJSONType())
	}
}

// cleanText is s if it is usable as a name: valid UTF-8, no NUL or other
// control characters, at most max runes.
func cleanText(s string, max int) (string, string) {
	if !utf8.ValidString(s) {
		return "", "is not valid UTF-8"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", "contains control characters"
	}
	if utf8.RuneCountInString(s) > max {
		return "", fmt.Sprintf("is longer than %d characters", max)
	}
	return s, ""
}
