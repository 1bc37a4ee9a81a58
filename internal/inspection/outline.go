package inspection

import (
	"context"
	"encoding/json"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"wangge/geo/coverage"
	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/boundary"
	"wangge/internal/grid"
)

// MaxOutlineVertices bounds one place's outline: a room or a building drawn
// by hand or imported has tens of vertices, not thousands.
const MaxOutlineVertices = 2000

// parseSystem reads the optional crs of a place (WGS-84/CGCS2000 when empty).
func parseSystem(v string) (crs.System, error) {
	if v == "" {
		return crs.WGS84, nil
	}
	sys, err := crs.Parse(v)
	if err != nil {
		return "", apperr.New(apperr.ErrInvalid, "crs %q: want wgs84, cgcs2000, gcj02 or bd09", v)
	}
	return sys, nil
}

// outline reads a place's outline: a GeoJSON Polygon or MultiPolygon in sys,
// checked as grid edits check theirs (positions, size, validity), converted
// to WGS-84, snapped to the 1e-7° grid and checked again (snapping a sliver
// can make it invalid). A missing outline is nil.
func outline(ctx context.Context, raw json.RawMessage, sys crs.System) (orb.MultiPolygon, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	mp, err := boundary.ParsePolygon(ctx, raw, MaxOutlineVertices)
	if err != nil {
		return nil, err
	}
	return toStored(ctx, mp, sys)
}

// outlineWKT reads an outline given as WKT (POLYGON or MULTIPOLYGON) in a
// places table.
func outlineWKT(ctx context.Context, text string, sys crs.System) (orb.MultiPolygon, error) {
	g, err := wkt.Unmarshal(text)
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "outline %.40q: not WKT: %v", text, err)
	}
	var mp orb.MultiPolygon
	switch x := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{x}
	case orb.MultiPolygon:
		mp = x
	default:
		return nil, apperr.New(apperr.ErrInvalid, "outline: a %s, want POLYGON or MULTIPOLYGON", g.GeoJSONType())
	}
	mp, _ = coverage.DropRepeats(mp)
	if err := boundary.CheckPolygon(ctx, mp, MaxOutlineVertices); err != nil {
		return nil, err
	}
	return toStored(ctx, mp, sys)
}

// toStored converts a checked outline to WGS-84 on the stored grid.
func toStored(ctx context.Context, mp orb.MultiPolygon, sys crs.System) (orb.MultiPolygon, error) {
	// grid.Round: on the 1e-7° grid, without what rounding makes degenerate,
	// as every stored unit shape; the conversion's copy leaves the caller's as sent.
	mp = grid.Round(crs.MultiPolygonToWGS84(sys, mp))
	if err := boundary.CheckPolygon(ctx, mp, MaxOutlineVertices); err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "outline on the stored 1e-7° grid: %v", err)
	}
	return mp, nil
}
