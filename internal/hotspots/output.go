package hotspots

import (
	"context"
	"math"

	"github.com/paulmach/orb/geojson"

	"wangge/geo/tile"
	"wangge/internal/tilecache"
)

// props are a bin's properties, the same in GeoJSON and in tiles. Rates are
// nil for a bin without residents; z and p are nil where no significance is
// claimed (too few cases) or the bin was not analysed.
func (r *Result) props(b Bin) []tile.Property {
	ps := []tile.Property{{Key: "id", Value: b.ID}, {Key: "count", Value: b.Count},
		{Key: "residents", Value: b.Residents}, {Key: "per_km2", Value: round(float64(b.Count) / b.AreaKm2)},
		{Key: "class", Value: b.Class.String()}}
	if b.Name != "" {
		ps = append(ps, tile.Property{Key: "name", Value: b.Name})
	}
	if b.Residents > 0 {
		ps = append(ps, tile.Property{Key: "rate_per_1000", Value: round(1000 * float64(b.Count) / float64(b.Residents))})
	}
	if b.Analysed && r.Insufficient == "" {
		ps = append(ps, tile.Property{Key: "z", Value: round(b.Z)}, tile.Property{Key: "p", Value: b.P})
	}
	if r.Query.Trend {
		ps = append(ps, tile.Property{Key: "trend", Value: b.Trend.String()})
	}
	return ps
}

func round(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// shown: bins with cases or a class; empty unremarkable hexagons are left
// out of the answer (they are still in the analysis).
func (r *Result) shown(b Bin) bool { return b.Count > 0 || b.Class != 0 || r.HexSizeM == 0 }

// GeoJSON is the map as a FeatureCollection with the analysis described in
// foreign members.
func (r *Result) GeoJSON() *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, b := range r.Bins {
		if !r.shown(b) {
			continue
		}
		f := geojson.NewFeature(b.Geom)
		f.ID = b.ID
		for _, p := range r.props(b) {
			f.Properties[p.Key] = p.Value
		}
		if _, ok := f.Properties["rate_per_1000"]; !ok {
			f.Properties["rate_per_1000"] = nil
		}
		if _, ok := f.Properties["z"]; !ok {
			f.Properties["z"], f.Properties["p"] = nil, nil
		}
		fc.Append(f)
	}
	q := r.Query
	fc.ExtraMembers = geojson.Properties{
		"parent": q.Parent, "category": q.Category, "type": q.Type, "bins": q.Bins, "value": q.Value,
		"from": q.From, "to": q.To, "total": r.Total, "analysed_bins": r.analysed(),
		"neighbours": r.Neighbours, "statistic": "Getis-Ord Gi* (binary weights, self included), two-sided normal p, Benjamini–Hochberg FDR",
		"significance": r.Insufficient == "", "insufficient": r.Insufficient,
		"weeks": r.Series.Weeks, "categories": r.Series.Categories,
	}
	if q.Trend {
		fc.ExtraMembers["trend_periods"] = TrendPeriods
	}
	if r.HexSizeM > 0 {
		fc.ExtraMembers["hex_size_m"] = r.HexSizeM
		fc.ExtraMembers["zoom"] = q.Zoom
	}
	return fc
}

func (r *Result) analysed() int {
	n := 0
	for _, b := range r.Bins {
		if b.Analysed {
			n++
		}
	}
	return n
}

// tileSpec: one layer "hotspots", every zoom, polygons kept small.
var tileSpec = tile.Spec{Name: "hotspots", MinZoom: 0, MaxZoom: 0}

// layer builds the map's tile layer once.
func (e *entry) layer() (*tile.Layer, error) {
	e.once.Do(func() {
		l := tile.NewLayer(tileSpec)
		fs := make([]tile.Feature, 0, len(e.r.Bins))
		for i, b := range e.r.Bins {
			if e.r.shown(b) {
				fs = append(fs, tile.Feature{ID: uint64(i + 1), Geometry: b.Geom, Properties: e.r.props(b)})
			}
		}
		e.lay, e.err = l, l.Replace(fs)
	})
	return e.lay, e.err
}

// Tile returns tile z/x/y of the query's map; for hexagons the map is the
// one at the tile's zoom (clamped to MinZoom..MaxZoom).
func (s *Service) Tile(ctx context.Context, q Query, z, x, y int) (tilecache.Entry, error) {
	if x < 0 || y < 0 || z < 0 || z > tile.MaxZoom || x >= 1<<z || y >= 1<<z {
		return tilecache.Entry{}, invalid("tile %d/%d/%d: x and y must be below %d at zoom %d", z, x, y, 1<<z, z)
	}
	q.Zoom = min(max(z, MinZoom), MaxZoom)
	e, _, err := s.get(ctx, q)
	if err != nil {
		return tilecache.Entry{}, err
	}
	l, err := e.layer()
	if err != nil {
		return tilecache.Entry{}, err
	}
	k := tilecache.Key{Layer: e.tile, Z: uint8(z), X: uint32(x), Y: uint32(y)}
	return s.tiles.GetOrRender(k, func() ([]byte, error) {
		return tile.Encode([]*tile.Layer{l}, z, x, y, tile.Options{})
	})
}
