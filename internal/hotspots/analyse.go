package hotspots

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"wangge/geo/hotspot"
	"wangge/internal/store"
)

// Bin is one hexagon or grid of a map.
type Bin struct {
	ID, Name  string
	Geom      orb.Geometry // lon/lat
	centre    hotspot.Point
	Count     int
	Residents int64
	AreaKm2   float64
	Z, P      float64
	Class     hotspot.Class
	Analysed  bool          // in the Gi* (rate maps leave out bins without residents)
	Trend     hotspot.Trend // with Query.Trend: over this and the TrendPeriods windows before
	cell      hotspot.Cell  // hexagons only
}

// Result is a computed map.
type Result struct {
	Query        Query
	Bins         []Bin
	HexSizeM     float64 // 0 for grids
	Neighbours   string  // the spatial weights, stated
	Total        int     // cases counted
	Insufficient string  // why no significance is claimed; "" when it is
	Series       store.HotspotSeries
	hex          hotspot.HexGrid // hexagon maps: the lattice
}

func (s *Service) compute(ctx context.Context, q Query) (*Result, error) {
	f := store.HotspotFilter{Parent: q.Parent, Category: q.Category, Type: q.Type, From: q.From, To: q.To}
	var r *Result
	var err error
	if q.Bins == "grid" {
		r, err = s.gridBins(ctx, f)
	} else {
		r, err = s.hexBins(ctx, f, HexSize(q.Zoom))
	}
	if err != nil {
		return nil, err
	}
	r.Query = q
	if r.Series, err = s.st.HotspotSeries(ctx, f); err != nil {
		return nil, err
	}
	counts := make([]int, len(r.Bins))
	for i, b := range r.Bins {
		counts[i] = b.Count
	}
	g, idx, err := giStar(ctx, r, counts, q.Value)
	if err != nil {
		return nil, err
	}
	r.Insufficient = g.Insufficient
	if r.Total < hotspot.MinTotal && r.Insufficient == "" {
		r.Insufficient = fmt.Sprintf("%d cases: at least %d are needed for a significance test", r.Total, hotspot.MinTotal)
	}
	for k, i := range idx {
		b := &r.Bins[i]
		b.Analysed, b.Z, b.P, b.Class = true, g.Z[k], g.P[k], g.Class[k]
		if r.Insufficient != "" {
			b.Class = 0
		}
	}
	if q.Trend && r.Insufficient == "" {
		return r, s.trend(ctx, r, f, idx)
	}
	return r, nil
}

// TrendPeriods is how many windows of the same length before the queried
// one the emerging-hotspot trend looks at (six time steps in all: a
// Mann-Kendall test over six can reach p ≤ 0.05).
const TrendPeriods = 5

// trend runs Gi* over each earlier window on the same bins and weights and
// classifies every analysed bin (hotspot.Emerging).
func (s *Service) trend(ctx context.Context, r *Result, f store.HotspotFilter, idx []int) error {
	span := f.To.Sub(f.From)
	classes := make([][]hotspot.Class, len(idx)) // per analysed bin, oldest first
	zs := make([][]float64, len(idx))
	for k := TrendPeriods; k >= 1; k-- {
		pf := f
		pf.From, pf.To = f.From.Add(-time.Duration(k)*span), f.To.Add(-time.Duration(k)*span)
		counts, err := s.pastCounts(ctx, r, pf)
		if err != nil {
			return err
		}
		g, _, err := giStar(ctx, r, counts, r.Query.Value)
		if err != nil {
			return err
		}
		for j := range idx {
			c := g.Class[j]
			if g.Insufficient != "" {
				c = 0
			}
			classes[j] = append(classes[j], c)
			zs[j] = append(zs[j], g.Z[j])
		}
	}
	for j, i := range idx {
		b := &r.Bins[i]
		b.Trend = hotspot.Emerging(append(classes[j], b.Class), append(zs[j], b.Z))
	}
	return nil
}

// pastCounts counts an earlier window's cases in the map's bins.
func (s *Service) pastCounts(ctx context.Context, r *Result, f store.HotspotFilter) ([]int, error) {
	counts := make([]int, len(r.Bins))
	if r.HexSizeM > 0 {
		lons, lats, err := s.st.HotspotPoints(ctx, f)
		if err != nil {
			return nil, err
		}
		at := make(map[hotspot.Cell]int, len(r.Bins))
		for i, b := range r.Bins {
			at[b.cell] = i
		}
		for i := range lons {
			if k, ok := at[r.hex.CellAt(r.hex.Project(lons[i], lats[i]))]; ok {
				counts[k]++
			}
		}
		return counts, nil
	}
	grids, err := s.st.HotspotGrids(ctx, f)
	if err != nil {
		return nil, err
	}
	by := make(map[string]int, len(grids))
	for _, g := range grids {
		by[g.Code] = g.Count
	}
	for i, b := range r.Bins {
		counts[i] = by[b.ID]
	}
	return counts, nil
}

func (s *Service) hexBins(ctx context.Context, f store.HotspotFilter, size float64) (*Result, error) {
	area, err := s.st.HotspotArea(ctx, f.Parent)
	if err != nil {
		return nil, err
	}
	b := area.Bound()
	ctr := b.Center()
	g := hotspot.NewHexGrid(size, ctr[0], ctr[1])
	cells := g.Covering(b)
	if len(cells) > maxHexBins {
		return nil, tooManyBins(len(cells), size)
	}
	lons, lats, err := s.st.HotspotPoints(ctx, f)
	if err != nil {
		return nil, err
	}
	counts := g.Count(lons, lats)
	rl, rt, people, err := s.residents(ctx, f.Parent)
	if err != nil {
		return nil, err
	}
	res := make(map[hotspot.Cell]int64, 1024)
	for i := range rl {
		res[g.CellAt(g.Project(rl[i], rt[i]))] += people[i]
	}
	// The study area: hexagons whose centre is in the unit, and any a case
	// of the unit falls in (its centre just outside the outline).
	r := &Result{HexSizeM: size, Total: len(lons), hex: g,
		Neighbours: fmt.Sprintf("distance band %.0f m (1.01 × centre spacing √3·%g m): the six touching hexagons", 1.01*g.Spacing(), size)}
	in := make(map[hotspot.Cell]bool, len(cells))
	add := func(c hotspot.Cell) {
		p := g.Centre(c)
		r.Bins = append(r.Bins, Bin{ID: fmt.Sprintf("%d,%d", c.Q, c.R), Geom: g.Polygon(c), centre: p, cell: c,
			Count: counts[c], Residents: res[c], AreaKm2: g.Area() / 1e6})
		in[c] = true
	}
	for _, c := range cells {
		if planar.MultiPolygonContains(area, g.Unproject(g.Centre(c))) {
			add(c)
		}
	}
	for c := range counts {
		if !in[c] {
			add(c)
		}
	}
	return r, nil
}

// maxHexBins bounds one map: a district of 1,000 km² at 125 m hexagons.
const maxHexBins = 40000

func tooManyBins(n int, size float64) error {
	return invalid("%d hexagons of %g m over this area: at most %d; zoom out or pick a smaller parent", n, size, maxHexBins)
}

func (s *Service) gridBins(ctx context.Context, f store.HotspotFilter) (*Result, error) {
	grids, err := s.st.HotspotGrids(ctx, f)
	if err != nil {
		return nil, err
	}
	r := &Result{Neighbours: fmt.Sprintf("the %d nearest grids (k-nearest neighbours between points on the grids' surfaces)", GridNeighbours)}
	if len(grids) == 0 {
		return r, nil
	}
	ctr := grids[0].Centroid
	proj := hotspot.NewHexGrid(1, ctr[0], ctr[1]) // only its local projection
	for _, gr := range grids {
		r.Bins = append(r.Bins, Bin{ID: gr.Code, Name: gr.Name, Geom: gr.Geom, centre: proj.Project(gr.Centroid[0], gr.Centroid[1]),
			Count: gr.Count, Residents: gr.People, AreaKm2: gr.AreaKm2})
		r.Total += gr.Count
	}
	return r, nil
}

// giStar runs Gi* over the bins' counts, or over their rates per 1,000
// residents among the bins that have residents (idx: the analysed bins).
func giStar(ctx context.Context, r *Result, counts []int, value string) (hotspot.Result, []int, error) {
	idx := make([]int, 0, len(r.Bins))
	for i, b := range r.Bins {
		if value == "count" || b.Residents > 0 {
			idx = append(idx, i)
		}
	}
	pts := make([]hotspot.Point, len(idx))
	vals := make([]float64, len(idx))
	for k, i := range idx {
		b := r.Bins[i]
		pts[k] = b.centre
		vals[k] = float64(counts[i])
		if value == "rate" {
			vals[k] = 1000 * float64(counts[i]) / float64(b.Residents)
		}
	}
	var w *hotspot.Weights
	var err error
	if r.HexSizeM > 0 {
		w, err = hotspot.DistanceBand(ctx, pts, 1.01*r.hex.Spacing())
	} else {
		w, err = hotspot.KNearest(ctx, pts, GridNeighbours)
	}
	if err != nil {
		return hotspot.Result{}, nil, err
	}
	g, err := hotspot.GiStar(ctx, vals, w, hotspot.Options{})
	return g, idx, err
}
