package boundary

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/internal/apperr"
	"wangge/internal/grid"
)

// MaxVertices is the default limit on the vertices of one input geometry.
const MaxVertices = 20000

// ParsePolygon reads a GeoJSON Polygon or MultiPolygon in EPSG:4326 and
// checks it: a GeoJSON "crs" member other than EPSG:4326/CRS84, coordinates
// outside longitude/latitude range, more than maxVertices vertices, empty or
// invalid (self-intersecting, unclosed, …) geometry are ErrInvalid with a
// message saying what and where; details of invalid geometry are a GeoJSON
// FeatureCollection of the offending points.
func ParsePolygon(ctx context.Context, raw json.RawMessage, maxVertices int) (orb.MultiPolygon, error) {
	mp, _, err := ParsePolygonWarn(ctx, raw, maxVertices)
	return mp, err
}

// ParsePolygonWarn is ParsePolygon that also answers the warnings about
// what is valid but was dropped: repeated consecutive vertices (valid in OGC
// and PostGIS), one coverage.RepeatedVertex per ring. The geometry answered
// has them removed.
func ParsePolygonWarn(ctx context.Context, raw json.RawMessage, maxVertices int) (orb.MultiPolygon, []coverage.Defect, error) {
	mp, err := parsePolygon(raw)
	if err != nil {
		return nil, nil, err
	}
	warns := coverage.Repeats(mp)
	mp, _ = coverage.DropRepeats(mp)
	return mp, warns, CheckPolygon(ctx, mp, maxVertices)
}

func parsePolygon(raw json.RawMessage) (orb.MultiPolygon, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, apperr.New(apperr.ErrInvalid, "geometry: missing")
	}
	var head struct {
		Type string          `json:"type"`
		CRS  json.RawMessage `json:"crs"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "geometry: not GeoJSON: %v", err)
	}
	if err := CheckCRS(head.CRS); err != nil {
		return nil, err
	}
	if head.Type != "Polygon" && head.Type != "MultiPolygon" {
		return nil, apperr.New(apperr.ErrInvalid, "geometry: type %q, want Polygon or MultiPolygon", head.Type)
	}
	if err := grid.CheckPositions(raw); err != nil {
		return nil, err
	}
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "geometry: not GeoJSON: %v", err)
	}
	var mp orb.MultiPolygon
	switch x := g.Geometry().(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{x}
	case orb.MultiPolygon:
		mp = x
	}
	return mp, nil
}

// CheckCRS accepts an absent GeoJSON crs member or one naming EPSG:4326 or
// OGC CRS84 (what RFC 7946 means); anything else is ErrInvalid.
func CheckCRS(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var c struct {
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(raw, &c)
	name := strings.ToUpper(c.Properties.Name)
	for _, ok := range []string{"EPSG:4326", "EPSG::4326", "CRS84", "EPSG:4490", "EPSG::4490"} {
		if strings.HasSuffix(name, ok) {
			return nil
		}
	}
	return apperr.New(apperr.ErrInvalid, "geometry: crs %q is not supported: send WGS-84/CGCS2000 longitude, latitude (EPSG:4326) without a crs member", c.Properties.Name)
}

// CheckPolygon applies ParsePolygon's checks to an already decoded
// geometry (maxVertices ≤ 0: MaxVertices).
func CheckPolygon(ctx context.Context, mp orb.MultiPolygon, maxVertices int) error {
	if maxVertices <= 0 {
		maxVertices = MaxVertices
	}
	n := 0
	for _, p := range mp {
		for _, r := range p {
			for _, pt := range r {
				n++
				if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
					return apperr.New(apperr.ErrInvalid, "geometry: coordinate %v is outside longitude/latitude range (EPSG:4326 lon,lat expected)", pt)
				}
			}
		}
	}
	if n == 0 || len(mp) == 0 {
		return apperr.New(apperr.ErrInvalid, "geometry: empty")
	}
	if n > maxVertices {
		return apperr.New(apperr.ErrInvalid, "geometry: %d vertices, at most %d allowed", n, maxVertices)
	}
	ds, err := coverage.CheckGeometryContext(ctx, mp)
	if err != nil {
		return err // the request's deadline: the caller answers 503
	}
	if len(ds) > 0 {
		msg := ds[0].Message
		if pt, ok := ds[0].Geometry.(orb.Point); ok {
			msg = fmt.Sprintf("%s at %.7f,%.7f", msg, pt[0], pt[1])
		}
		return apperr.WithDetails(apperr.ErrInvalid, grid.FeatureCollection(grid.FromCoverage(ds, nil, nil, "")), "geometry is invalid: %s", msg)
	}
	return nil
}
