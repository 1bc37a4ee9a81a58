// Package layerio reads and writes whole grid layers: GeoJSON and zipped
// ESRI Shapefile, with attribute mapping (which property holds the code,
// name, kind and parent) and coordinate systems: EPSG:4326/CRS84 and
// CGCS2000 are taken as they are, GCJ-02 and BD-09 (declared by the caller,
// since no file format can say so) are converted to WGS-84 with geo/crs, and
// projected or unknown systems (a GeoJSON crs member, a PROJCS in a .prj, or
// coordinates outside longitude/latitude range) are refused with a message
// naming them.
package layerio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/crs"
	"wangge/geo/shapefile"
	"wangge/internal/apperr"
	"wangge/internal/boundary"
	"wangge/internal/grid"
)

// Mapping names the attributes holding each grid property; empty fields
// use the defaults code, name, kind, parent.
type Mapping struct {
	Code, Name, Kind, Parent string
}

func (m Mapping) withDefaults() Mapping {
	if m.Code == "" {
		m.Code = "code"
	}
	if m.Name == "" {
		m.Name = "name"
	}
	if m.Kind == "" {
		m.Kind = "kind"
	}
	if m.Parent == "" {
		m.Parent = "parent"
	}
	return m
}

// Options tune Decode.
type Options struct {
	Mapping Mapping
	// Source is the coordinate system of the file's coordinates when the
	// file cannot say (GCJ-02 from AMap/DataV, BD-09 from Baidu); "" means
	// WGS-84 unless the file declares otherwise.
	Source crs.System
	// MaxVertices limits each feature (default boundary.MaxVertices).
	MaxVertices int
}

// Grid is one feature of a layer.
type Grid struct {
	Code, Name, Kind, Parent string
	Geom                     orb.MultiPolygon
}

// Decode reads a GeoJSON FeatureCollection or a zipped Shapefile (detected
// from the content) into grids in WGS-84. Errors are apperr.ErrInvalid with
// the feature number and what is wrong.
func Decode(data []byte, opt Options) ([]Grid, error) {
	return DecodeContext(context.Background(), data, opt)
}

// DecodeFeatureCollection reads an uploaded GeoJSON file (what names it in
// errors: "layer", "units"): a FeatureCollection in WGS-84/CGCS2000 whose
// positions each hold longitude and latitude.
func DecodeFeatureCollection(data []byte, what string) (*geojson.FeatureCollection, error) {
	var head struct {
		Type string          `json:"type"`
		CRS  json.RawMessage `json:"crs"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "%s: neither a zipped Shapefile nor GeoJSON: %v", what, err)
	}
	if err := boundary.CheckCRS(head.CRS); err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "%s: %s", what, strings.TrimPrefix(err.Error(), "geometry: "))
	}
	if head.Type != "FeatureCollection" {
		return nil, apperr.New(apperr.ErrInvalid, "%s: GeoJSON type %q, want a FeatureCollection", what, head.Type)
	}
	if err := grid.CheckPositions(data); err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "%s: %s", what, strings.TrimPrefix(err.Error(), "geometry: "))
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "%s: %v", what, err)
	}
	return fc, nil
}

// DecodeContext is Decode that stops when ctx is done (each feature's
// geometry check watches it).
func DecodeContext(ctx context.Context, data []byte, opt Options) ([]Grid, error) {
	m := opt.Mapping.withDefaults()
	if bytes.HasPrefix(data, []byte("PK")) {
		return decodeShapefile(ctx, data, m, opt)
	}
	return decodeGeoJSON(ctx, data, m, opt)
}

func decodeGeoJSON(ctx context.Context, data []byte, m Mapping, opt Options) ([]Grid, error) {
	fc, err := DecodeFeatureCollection(data, "layer")
	if err != nil {
		return nil, err
	}
	out := make([]Grid, 0, len(fc.Features))
	for i, f := range fc.Features {
		text := func(key string) string {
			v, ok := f.Properties[key]
			if !ok || v == nil {
				return ""
			}
			if s, ok := v.(string); ok {
				return strings.TrimSpace(s)
			}
			if x, ok := v.(float64); ok && x == float64(int64(x)) {
				return fmt.Sprint(int64(x))
			}
			return fmt.Sprint(v)
		}
		g, err := toGrid(ctx, i, f.Geometry, text, m, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

var projcs = regexp.MustCompile(`(?i)^\s*PROJCS\["([^"]*)"`)
var geogcs = regexp.MustCompile(`(?i)GEOGCS\["([^"]*)"`)

// CheckPRJ accepts a .prj naming a geographic system on the WGS-84 or
// CGCS2000 datum (or none); a projected system is refused with its name.
func CheckPRJ(prj string) error {
	if strings.TrimSpace(prj) == "" {
		return nil
	}
	if m := projcs.FindStringSubmatch(prj); m != nil {
		return apperr.New(apperr.ErrInvalid, "layer: the .prj declares the projected system %q; wangge stores longitude/latitude (EPSG:4326): reproject first, e.g. ogr2ogr -t_srs EPSG:4326", m[1])
	}
	up := strings.ToUpper(prj)
	for _, ok := range []string{"WGS_1984", "WGS 84", "WGS84", "CGCS2000", "CGCS_2000", "CHINA_2000", "CHINA GEODETIC COORDINATE SYSTEM 2000", "CHINA_GEODETIC_COORDINATE_SYSTEM_2000"} {
		if strings.Contains(up, ok) {
			return nil
		}
	}
	name := prj
	if m := geogcs.FindStringSubmatch(prj); m != nil {
		name = m[1]
	}
	return apperr.New(apperr.ErrInvalid, "layer: the .prj declares %q, which is neither WGS-84 nor CGCS2000 longitude/latitude", name)
}

func decodeShapefile(ctx context.Context, data []byte, m Mapping, opt Options) ([]Grid, error) {
	l, err := shapefile.ReadZip(data)
	if errors.Is(err, shapefile.ErrTooLarge) {
		return nil, apperr.New(apperr.ErrTooLarge, "layer: %v", err)
	}
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "layer: %v", err)
	}
	if err := CheckPRJ(l.PRJ); err != nil {
		return nil, err
	}
	out := make([]Grid, 0, len(l.Features))
	for i, f := range l.Features {
		text := func(key string) string { return strings.TrimSpace(l.Value(f, key)) }
		g, err := toGrid(ctx, i, f.Geometry, text, m, opt)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

func toGrid(ctx context.Context, i int, g orb.Geometry, text func(string) string, m Mapping, opt Options) (Grid, error) {
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	case nil:
		return Grid{}, apperr.New(apperr.ErrInvalid, "layer: feature %d has no geometry", i)
	default:
		return Grid{}, apperr.New(apperr.ErrInvalid, "layer: feature %d is a %s, want Polygon or MultiPolygon", i, g.GeoJSONType())
	}
	if b := mp.Bound(); b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		return Grid{}, apperr.New(apperr.ErrInvalid, "layer: feature %d has coordinates like %v outside longitude/latitude range: a projected system? wangge needs EPSG:4326 lon/lat", i, b.Min)
	}
	if opt.Source != "" && opt.Source != crs.WGS84 {
		mp = crs.MultiPolygonToWGS84(opt.Source, mp)
	}
	out := Grid{Code: text(m.Code), Name: text(m.Name), Kind: text(m.Kind), Parent: text(m.Parent), Geom: mp}
	if err := boundary.CheckPolygon(ctx, mp, opt.MaxVertices); err != nil {
		if ctx.Err() != nil {
			return Grid{}, err
		}
		var details any
		if e, ok := err.(*apperr.Error); ok {
			details = e.Details
		}
		return Grid{}, apperr.WithDetails(apperr.ErrInvalid, details, "layer: feature %d (%s %s): %s", i, out.Code, out.Name, err)
	}
	return out, nil
}

// GeoJSON renders grids as a FeatureCollection with properties code, name,
// kind and parent.
func GeoJSON(grids []Grid) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, g := range grids {
		f := geojson.NewFeature(g.Geom)
		f.ID = g.Code
		f.Properties = geojson.Properties{"code": g.Code, "name": g.Name, "kind": g.Kind, "parent": g.Parent}
		fc.Append(f)
	}
	return fc
}

// Shapefile renders grids as a shapefile layer with text fields code,
// name, kind and parent (UTF-8, WGS-84 .prj).
func Shapefile(grids []Grid) *shapefile.Layer {
	l := &shapefile.Layer{Fields: []shapefile.Field{{Name: "code", Type: 'C'}, {Name: "name", Type: 'C'}, {Name: "kind", Type: 'C'}, {Name: "parent", Type: 'C'}}}
	for _, g := range grids {
		l.Features = append(l.Features, shapefile.Feature{Geometry: g.Geom, Values: []string{g.Code, g.Name, g.Kind, g.Parent}})
	}
	return l
}
