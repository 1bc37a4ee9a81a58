package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/planar"

	"wangge/geo/earth"
	"wangge/geo/precision"
)

// hotspotCluster plants a market street's worth of recent complaints
// (street stalls and dumped rubbish, the last 30 days) within 250 m of one
// grid's centre, so the leader's hotspot layer has a real cluster to show
// over the uniform background of incidents. Its own random stream keeps the
// rest of the district as it was.
func (l *loader) hotspotCluster(ctx context.Context, grids []*grid) error {
	if len(grids) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(l.opt.Seed^0x68, 17))
	// The first grid from a third of the way in that contains its centroid.
	var g *grid
	var c orb.Point
	for i := range grids {
		g = grids[(len(grids)/3+i)%len(grids)]
		if c, _ = planar.CentroidArea(g.shape); planar.MultiPolygonContains(g.shape, c) {
			break
		}
	}
	kx, ky := earth.MetresPerDegree(c[1])
	now := l.opt.Today.Add(18 * time.Hour)
	cats := []string{"cityorder.stall", "sanitation.litter", "cityorder.parking"}
	var rows [][]any
	for range 90 {
		r, a := 250*math.Sqrt(rng.Float64()), 2*math.Pi*rng.Float64()
		p := precision.Point(orb.Point{c[0] + r*math.Cos(a)/kx, c[1] + r*math.Sin(a)/ky})
		pt, err := ewkb.Marshal(p, 4326)
		if err != nil {
			return err
		}
		at := now.Add(-time.Duration(rng.Float64() * 30 * 24 * float64(time.Hour)))
		cat := cats[rng.IntN(len(cats))]
		// grid_code NULL: the placement trigger finds the grid each point is in.
		rows = append(rows, []any{l.opt.Region, "routine", cat, fmt.Sprintf("%s：%s 集市", cat, g.community),
			"reported", pt, g.workerID, at, at, "demo"})
	}
	n, err := l.tx.CopyFrom(ctx, pgx.Identifier{"incidents"},
		[]string{"region_code", "type", "category", "title", "status", "pt", "reported_by", "reported_at", "updated_at", "source"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("hotspot cluster: %w", err)
	}
	l.sum.Incidents += int(n)
	return nil
}
