package demo

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/planar"

	"wangge/geo/precision"
)

var incidentKinds = []struct {
	kind   string
	weight int
	cats   []string
}{
	// Category codes of the incident catalogue (migration 000050).
	{"routine", 60, []string{"sanitation.litter", "cityorder.stall", "fire.passage", "fire.ebike", "cityorder.parking"}},
	{"coordination", 20, []string{"dispute.neighbour", "dispute.property", "building.extension"}},
	{"emergency", 5, []string{"security.suspicious", "safety.gas", "safety.collapse"}},
	{"approval", 15, []string{"service.road_permit", "service.renovation", "service.event"}},
}

var openStatuses = []string{"reported", "accepted", "dispatched", "handled"}

// incidents spreads a few reports per grid over IncidentDays; older ones are
// mostly closed, recent ones are still moving through the workflow.
func (l *loader) incidents(ctx context.Context, grids []*grid) error {
	type row = []any
	var rows []row
	now := l.opt.Today.Add(18 * time.Hour)
	for _, g := range grids {
		n := 2 + l.rng.IntN(7)
		for i := 0; i < n; i++ {
			p, ok := randomPointIn(l, g.shape)
			if !ok {
				continue
			}
			r := l.rng.IntN(100)
			k := incidentKinds[0]
			for _, c := range incidentKinds {
				if r < c.weight {
					k = c
					break
				}
				r -= c.weight
			}
			cat := k.cats[l.rng.IntN(len(k.cats))]
			at := now.Add(-time.Duration(l.rng.Float64() * float64(l.opt.IncidentDays) * 24 * float64(time.Hour)))
			status := openStatuses[l.rng.IntN(len(openStatuses))]
			var valid *bool
			var closed *time.Time
			if now.Sub(at) > 7*24*time.Hour && l.rng.IntN(100) < 92 {
				status = "closed"
				if l.rng.IntN(100) < 6 {
					status = "invalid"
				}
				v := status == "closed" && l.rng.IntN(100) < 88
				valid = &v
				c := at.Add(time.Duration(2+l.rng.IntN(120)) * time.Hour)
				closed = &c
			}
			pt, err := ewkb.Marshal(p, 4326)
			if err != nil {
				return err
			}
			updated := at
			if closed != nil {
				updated = *closed
			}
			rows = append(rows, row{l.opt.Region, g.code, k.kind, cat, fmt.Sprintf("%s：%s", cat, g.community),
				"", status, valid, pt, g.workerID, at, updated, closed, "demo"})
		}
	}
	n, err := l.tx.CopyFrom(ctx, pgx.Identifier{"incidents"},
		[]string{"region_code", "grid_code", "type", "category", "title", "description", "status", "valid", "pt",
			"reported_by", "reported_at", "updated_at", "closed_at", "source"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	l.sum.Incidents = int(n)
	return nil
}

// patrols walks every grid worker through their grid on most days: a random
// walk at walking speed, one fix every 30 s, that stays inside the grid.
func (l *loader) patrols(ctx context.Context, grids []*grid) error {
	if l.opt.PatrolDays == 0 {
		return nil
	}
	first := l.opt.Today.AddDate(0, 0, -l.opt.PatrolDays)
	if _, err := l.tx.Exec(ctx, ensurePartitionsSQL, first.Format(time.DateOnly), l.opt.Today.AddDate(0, 0, 8).Format(time.DateOnly)); err != nil {
		return fmt.Errorf("partitions: %w", err)
	}
	gi, day := 0, 0
	var track []fix
	next := func() ([]any, error) {
		for len(track) == 0 {
			if gi == len(grids) {
				return nil, nil
			}
			g := grids[gi]
			if g.kind == "basic" && l.rng.IntN(100) < 88 {
				start := first.AddDate(0, 0, day).Add(time.Duration(8*60+30+l.rng.IntN(7*60)) * time.Minute)
				track = l.walk(g.shape, start, 45+l.rng.IntN(105))
			}
			if day++; day == l.opt.PatrolDays {
				gi, day = gi+1, 0
			}
			if len(track) > 0 {
				for i := range track {
					track[i].user = g.workerID
				}
			}
		}
		f := track[0]
		track = track[1:]
		pt, err := ewkb.Marshal(f.pt, 4326)
		if err != nil {
			return nil, err
		}
		return []any{l.opt.Region, f.user, f.at, pt, f.accuracy, f.speed}, nil
	}
	n, err := l.tx.CopyFrom(ctx, pgx.Identifier{"patrol_points"},
		[]string{"region_code", "user_id", "recorded_at", "pt", "accuracy_m", "speed_mps"}, pgx.CopyFromFunc(next))
	if err != nil {
		return fmt.Errorf("patrol points: %w", err)
	}
	l.sum.PatrolPoints = int(n)
	return nil
}

type fix struct {
	user     int64
	at       time.Time
	pt       orb.Point
	accuracy float32
	speed    float32
}

func (l *loader) walk(shape orb.MultiPolygon, start time.Time, minutes int) []fix {
	p, ok := randomPointIn(l, shape)
	if !ok {
		return nil
	}
	heading := l.rng.Float64() * 2 * math.Pi
	mx := 1 / (111320 * math.Cos(p[1]*math.Pi/180))
	my := 1 / 110570.0
	steps := minutes * 2
	out := make([]fix, 0, steps)
	for s := 0; s < steps; s++ {
		speed := 0.8 + 0.7*l.rng.Float64()
		for try := 0; try < 8; try++ {
			heading += (l.rng.Float64() - 0.5) * math.Pi / 3
			if try > 0 {
				heading += math.Pi / 2
			}
			q := orb.Point{p[0] + math.Cos(heading)*speed*30*mx, p[1] + math.Sin(heading)*speed*30*my}
			if planar.MultiPolygonContains(shape, q) {
				p = q
				break
			}
		}
		out = append(out, fix{
			at:       start.Add(time.Duration(s) * 30 * time.Second),
			pt:       precision.Point(p),
			accuracy: float32(3 + 12*l.rng.Float64()),
			speed:    float32(speed),
		})
	}
	return out
}

func randomPointIn(l *loader, shape orb.MultiPolygon) (orb.Point, bool) {
	b := shape.Bound()
	for try := 0; try < 100; try++ {
		p := orb.Point{
			b.Min[0] + l.rng.Float64()*(b.Max[0]-b.Min[0]),
			b.Min[1] + l.rng.Float64()*(b.Max[1]-b.Min[1]),
		}
		if planar.MultiPolygonContains(shape, p) {
			return precision.Point(p), true
		}
	}
	return orb.Point{}, false
}
