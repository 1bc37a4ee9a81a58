// Package basemap reads a district's own base map — its street network and
// its water, e.g. an OpenStreetMap extract the office brings — from GeoJSON
// or a zipped Shapefile, so the grid map has context offline and the patrol
// sweep has streets to measure. The features are stored per district
// (store.ReplaceBase) and served as the roads and water tile layers.
package basemap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"wangge/geo/coverage"
	"wangge/geo/crs"
	"wangge/geo/precision"
	"wangge/geo/shapefile"
	"wangge/internal/apperr"
	"wangge/internal/grid"
	"wangge/internal/layerio"
	"wangge/internal/store"
)

// MaxFeatures bounds a file: a district's OSM network is tens of thousands of ways.
const MaxFeatures = 200000

// maxProblems is how many bad features a refusal lists.
const maxProblems = 20

// Attribute names read for a feature's name and kind, first found wins
// (OSM GeoJSON, Geofabrik's shapefiles, Chinese tables).
var (
	nameKeys = []string{"name", "名称", "NAME", "name_zh"}
	kindKeys = map[string][]string{
		store.BaseStreets: {"highway", "fclass", "kind", "class", "类型"},
		store.BaseWater:   {"waterway", "natural", "water", "fclass", "kind", "class", "类型"},
	}
)

// Decode reads the features of table (store.BaseStreets: lines;
// store.BaseWater: lines and areas) from data, converting from source when
// it is GCJ-02 or BD-09. A file with any bad feature is refused whole with
// the first of them listed; ctx's end stops it.
func Decode(ctx context.Context, data []byte, table string, source crs.System) ([]store.BaseFeature, error) {
	type raw struct {
		g     orb.Geometry
		value func(string) string
	}
	var feats []raw
	if bytes.HasPrefix(data, []byte("PK")) {
		l, err := shapefile.ReadZip(data)
		if errors.Is(err, shapefile.ErrTooLarge) {
			return nil, apperr.New(apperr.ErrTooLarge, "%s: %v", table, err)
		}
		if err != nil {
			return nil, apperr.New(apperr.ErrInvalid, "%s: %v", table, err)
		}
		if err := layerio.CheckPRJ(l.PRJ); err != nil {
			return nil, err
		}
		for _, f := range l.Features {
			feats = append(feats, raw{f.Geometry, func(k string) string { return l.Value(f, k) }})
		}
	} else {
		fc, err := layerio.DecodeFeatureCollection(data, table)
		if err != nil {
			return nil, err
		}
		for _, f := range fc.Features {
			feats = append(feats, raw{f.Geometry, func(k string) string { s, _ := f.Properties[k].(string); return s }})
		}
	}
	var out []store.BaseFeature
	var problems []string
	bad := func(i int, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("feature %d: ", i)+fmt.Sprintf(format, args...))
	}
	for i, f := range feats {
		if err := ctx.Err(); err != nil {
			return nil, apperr.New(apperr.ErrUnavailable, "the request's time ran out at feature %d", i)
		}
		if len(problems) >= maxProblems {
			break
		}
		name, kind := first(f.value, nameKeys), first(f.value, kindKeys[table])
		if !utf8.ValidString(name+kind) || strings.ContainsRune(name+kind, 0) {
			bad(i, "name or kind is not UTF-8 text")
			continue
		}
		parts, err := split(f.g, table == store.BaseWater)
		if err != nil {
			bad(i, "%v", err)
			continue
		}
		for _, g := range parts {
			if b := g.Bound(); b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
				bad(i, "coordinates like %v outside longitude/latitude range: a projected system? wangge needs EPSG:4326 lon/lat", b.Min)
				break
			}
			if mp, ok := grid.Polygonal(g); ok {
				ds, err := coverage.CheckGeometryContext(ctx, mp)
				if err != nil {
					return nil, apperr.New(apperr.ErrUnavailable, "the request's time ran out at feature %d", i)
				}
				if len(ds) > 0 {
					bad(i, "invalid area: %s", ds[0].Message)
					break
				}
			}
			sg, ok := stored(source, g)
			if !ok {
				bad(i, "nothing is left of it on the 1e-7° grid")
				break
			}
			out = append(out, store.BaseFeature{Name: name, Kind: kind, Geom: sg, Feature: i})
		}
		if len(out) > MaxFeatures {
			return nil, apperr.New(apperr.ErrTooLarge, "%s: more than %d features: split the file", table, MaxFeatures)
		}
	}
	if len(problems) > 0 {
		return nil, apperr.WithDetails(apperr.ErrInvalid, problems, "%s: %s; nothing stored", table, problems[0])
	}
	if len(out) == 0 {
		return nil, apperr.New(apperr.ErrInvalid, "%s: no features in the file", table)
	}
	return out, nil
}

func first(value func(string) string, keys []string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(value(k)); v != "" {
			return v
		}
	}
	return ""
}

// split makes g stored rows: one LineString per line (the patrol sweep
// measures streets line by line), areas as they are when allowed.
func split(g orb.Geometry, areas bool) ([]orb.Geometry, error) {
	var out []orb.Geometry
	line := func(l orb.LineString) error {
		if len(l) < 2 {
			return errors.New("a line needs two positions")
		}
		out = append(out, l)
		return nil
	}
	switch g := g.(type) {
	case orb.LineString:
		return out, line(g)
	case orb.MultiLineString:
		for _, l := range g {
			if err := line(l); err != nil {
				return nil, err
			}
		}
		return out, nil
	case orb.Polygon, orb.MultiPolygon:
		if areas {
			return []orb.Geometry{g}, nil
		}
	}
	want := "a LineString or MultiLineString"
	if areas {
		want = "a line or a (Multi)Polygon"
	}
	typ := "missing geometry"
	if g != nil {
		typ = g.GeoJSONType()
	}
	return nil, fmt.Errorf("a %s, want %s", typ, want)
}

// stored is g in WGS-84 on the 1e-7° grid (the storage rule): converted
// from GCJ-02 or BD-09 first; ok is false when rounding leaves no line or area.
func stored(sys crs.System, g orb.Geometry) (orb.Geometry, bool) {
	conv := func(p orb.Point) orb.Point { return p }
	if sys != "" && sys != crs.WGS84 {
		conv = func(p orb.Point) orb.Point { return crs.ToWGS84(sys, p) }
	}
	switch g := g.(type) {
	case orb.LineString:
		out := make(orb.LineString, 0, len(g))
		for _, p := range g {
			if q := precision.Point(conv(p)); len(out) == 0 || out[len(out)-1] != q {
				out = append(out, q)
			}
		}
		return out, len(out) >= 2
	case orb.Polygon:
		return stored(sys, orb.MultiPolygon{g})
	case orb.MultiPolygon:
		if sys != "" && sys != crs.WGS84 {
			g = crs.MultiPolygonToWGS84(sys, g)
		}
		mp := grid.Round(g)
		return mp, len(mp) > 0
	}
	return g, false
}
