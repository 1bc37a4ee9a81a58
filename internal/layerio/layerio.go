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

	"wangge/geo/coverage"
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

// Grid is one feature of a layer; Feature is its 0-based number in the file.
type Grid struct {
	Code, Name, Kind, Parent string
	Geom                     orb.MultiPolygon
	Feature                  int
}

// BadRow is the defect kind of a feature that cannot be a grid (no or
// wrong geometry type, bad code, parent or kind); invalid geometry is
// coverage.InvalidGeometry.
const BadRow coverage.Kind = "bad_row"

// Decode reads a GeoJSON FeatureCollection or a zipped Shapefile (detected
// from the content) into grids in WGS-84. Errors are apperr.ErrInvalid with
// every bad feature: its number, code and what is wrong in the message, and
// as GeoJSON defects in the details.
func Decode(data []byte, opt Options) ([]Grid, error) {
	grids, rows, err := decode(context.Background(), data, opt)
	if err != nil {
		return nil, err
	}
	if len(rows.bad) > 0 {
		return nil, rows.refusal()
	}
	return grids, nil
}

// rows collects what decoding found wrong (bad) or dropped (warn), feature
// by feature, so that a file is refused with all of it at once.
type rows struct {
	bad, warn []grid.Defect
}

// add records a bad row at feature i.
func (r *rows) add(i int, code string, at orb.Geometry, format string, args ...any) {
	var loc orb.Geometry
	if at != nil {
		loc = at.Bound().Center()
	}
	codes := []string{}
	if code != "" {
		codes = []string{code}
	}
	r.bad = append(r.bad, grid.Defect{Kind: BadRow, Codes: codes, Features: []int{i}, Geom: loc, Message: fmt.Sprintf(format, args...)})
}

// refusal is ErrInvalid listing every bad row.
func (r *rows) refusal() error {
	msgs := make([]string, 0, min(len(r.bad), 5))
	for _, d := range r.bad[:min(len(r.bad), 5)] {
		msgs = append(msgs, fmt.Sprintf("feature %d %s: %s", d.Features[0], strings.Join(d.Codes, ","), d.Message))
	}
	more := ""
	if len(r.bad) > 5 {
		more = fmt.Sprintf("; and %d more (see details)", len(r.bad)-5)
	}
	return apperr.WithDetails(apperr.ErrInvalid, grid.FeatureCollection(r.bad), "layer: %d bad feature(s); nothing was loaded: %s%s", len(r.bad), strings.Join(msgs, "; "), more)
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

// decode reads the good features and lists the bad ones; an error is a
// file that cannot be read at all, or ctx done (each feature's geometry
// check watches it).
func decode(ctx context.Context, data []byte, opt Options) ([]Grid, *rows, error) {
	m := opt.Mapping.withDefaults()
	if bytes.HasPrefix(data, []byte("PK")) {
		return decodeShapefile(ctx, data, m, opt)
	}
	return decodeGeoJSON(ctx, data, m, opt)
}

func decodeGeoJSON(ctx context.Context, data []byte, m Mapping, opt Options) ([]Grid, *rows, error) {
	fc, err := DecodeFeatureCollection(data, "layer")
	if err != nil {
		return nil, nil, err
	}
	rs := &rows{}
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
		g, ok, err := toGrid(ctx, i, f.Geometry, text, m, opt, rs)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out = append(out, g)
		}
	}
	return out, rs, nil
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

func decodeShapefile(ctx context.Context, data []byte, m Mapping, opt Options) ([]Grid, *rows, error) {
	l, err := shapefile.ReadZip(data)
	if errors.Is(err, shapefile.ErrTooLarge) {
		return nil, nil, apperr.New(apperr.ErrTooLarge, "layer: %v", err)
	}
	if err != nil {
		return nil, nil, apperr.New(apperr.ErrInvalid, "layer: %v", err)
	}
	if err := CheckPRJ(l.PRJ); err != nil {
		return nil, nil, err
	}
	rs := &rows{}
	out := make([]Grid, 0, len(l.Features))
	for i, f := range l.Features {
		text := func(key string) string { return strings.TrimSpace(l.Value(f, key)) }
		g, ok, err := toGrid(ctx, i, f.Geometry, text, m, opt, rs)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out = append(out, g)
		}
	}
	return out, rs, nil
}

// toGrid reads feature i; a bad one is recorded in rs (false), and only
// ctx's error is an error. Repeated consecutive vertices (valid in OGC and
// PostGIS) are dropped with a warning.
func toGrid(ctx context.Context, i int, g orb.Geometry, text func(string) string, m Mapping, opt Options, rs *rows) (Grid, bool, error) {
	out := Grid{Code: text(m.Code), Name: text(m.Name), Kind: text(m.Kind), Parent: text(m.Parent), Feature: i}
	var mp orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		mp = g
	case nil:
		rs.add(i, out.Code, nil, "no geometry")
		return Grid{}, false, nil
	default:
		rs.add(i, out.Code, g, "a %s, want Polygon or MultiPolygon", g.GeoJSONType())
		return Grid{}, false, nil
	}
	if b := mp.Bound(); b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		rs.add(i, out.Code, nil, "coordinates like %v outside longitude/latitude range: a projected system? wangge needs EPSG:4326 lon/lat", b.Min)
		return Grid{}, false, nil
	}
	if opt.Source != "" && opt.Source != crs.WGS84 {
		mp = crs.MultiPolygonToWGS84(opt.Source, mp)
	}
	code := []string{out.Code}
	for _, d := range grid.FromCoverage(coverage.Repeats(mp), nil, nil, "") {
		d.Features, d.Codes = []int{i}, code
		rs.warn = append(rs.warn, d)
	}
	mp, _ = coverage.DropRepeats(mp)
	out.Geom = mp
	if err := boundary.CheckPolygon(ctx, mp, opt.MaxVertices); err != nil {
		if ctx.Err() != nil {
			return Grid{}, false, err
		}
		ds, _ := coverage.CheckGeometryContext(ctx, mp)
		if len(ds) == 0 { // not the geometry itself: empty, too many vertices
			rs.add(i, out.Code, mp, "%s", strings.TrimPrefix(err.Error(), "geometry: "))
			return Grid{}, false, nil
		}
		for _, d := range grid.FromCoverage(ds, nil, nil, "") {
			d.Features, d.Codes = []int{i}, code
			d.Message = fmt.Sprintf("invalid geometry of %s %s: %s", out.Code, out.Name, d.Message)
			rs.bad = append(rs.bad, d)
		}
		return Grid{}, false, nil
	}
	return out, true, nil
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
