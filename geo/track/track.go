package track

import (
	"math"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

// Fix is one GPS position. AccuracyM 0 means the device did not say.
type Fix struct {
	At        time.Time
	Point     orb.Point
	AccuracyM float64
}

// Params are the numbers of the rules in the package comment.
type Params struct {
	MaxAccuracyM float64       // fixes reporting a worse accuracy are dropped
	MaxSpeedMPS  float64       // faster than this between fixes is impossible on patrol
	MaxGap       time.Duration // longer gaps end a trip
	StayRadiusM  float64       // a stop keeps within this distance of its first fix
	StayMin      time.Duration // and lasts at least this long
}

// DefaultParams suit a worker on foot or on an e-bike: 50 m accuracy, 15 m/s
// (54 km/h), 5-minute gaps, stops of 5 minutes within 50 m.
var DefaultParams = Params{MaxAccuracyM: 50, MaxSpeedMPS: 15, MaxGap: 5 * time.Minute, StayRadiusM: 50, StayMin: 5 * time.Minute}

// Why says why a fix was dropped.
type Why uint8

// Reasons a fix is dropped.
const (
	Kept Why = iota
	DuplicateTime
	PoorAccuracy
	Spike
	TooFast
)

// Clean sorts the fixes by time and returns the kept ones, and for each
// input fix (in input order) why it was dropped or Kept.
func Clean(fixes []Fix, p Params) ([]Fix, []Why) {
	why := make([]Why, len(fixes))
	order := make([]int, len(fixes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return fixes[order[a]].At.Before(fixes[order[b]].At) })
	cand := make([]int, 0, len(fixes))
	for k, i := range order {
		switch {
		case k > 0 && fixes[i].At.Equal(fixes[order[k-1]].At):
			why[i] = DuplicateTime
		case p.MaxAccuracyM > 0 && fixes[i].AccuracyM > p.MaxAccuracyM:
			why[i] = PoorAccuracy
		default:
			cand = append(cand, i)
		}
	}
	fast := func(a, b int) bool { return speed(fixes[a], fixes[b]) > p.MaxSpeedMPS }
	// Spikes first, so a spike does not become the anchor that makes the
	// following good fixes look too fast.
	spikeFree := cand[:0:0]
	for k, i := range cand {
		if k > 0 && k+1 < len(cand) {
			prev, next := spikeFreeLast(spikeFree, cand[k-1]), cand[k+1]
			if fast(prev, i) && fast(i, next) && !fast(prev, next) {
				why[i] = Spike
				continue
			}
		}
		spikeFree = append(spikeFree, i)
	}
	kept := make([]Fix, 0, len(spikeFree))
	last := -1
	for _, i := range spikeFree {
		if last >= 0 && fixes[i].At.Sub(fixes[last].At) <= p.MaxGap && fast(last, i) {
			why[i] = TooFast
			continue
		}
		kept = append(kept, fixes[i])
		last = i
	}
	return kept, why
}

func spikeFreeLast(s []int, fallback int) int {
	if len(s) == 0 {
		return fallback
	}
	return s[len(s)-1]
}

func speed(a, b Fix) float64 {
	dt := b.At.Sub(a.At).Seconds()
	d := geo.Distance(a.Point, b.Point)
	if dt <= 0 {
		if d == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return d / dt
}

// Trip is a run of kept fixes with no gap over MaxGap.
type Trip struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	DistanceM float64   `json:"distance_m"`
	Fixes     []Fix     `json:"-"`
}

// Trips splits time-ordered kept fixes at gaps longer than maxGap.
func Trips(kept []Fix, maxGap time.Duration) []Trip {
	var out []Trip
	for i, f := range kept {
		if i == 0 || f.At.Sub(kept[i-1].At) > maxGap {
			out = append(out, Trip{Start: f.At, End: f.At})
		}
		t := &out[len(out)-1]
		if n := len(t.Fixes); n > 0 {
			t.DistanceM += geo.Distance(t.Fixes[n-1].Point, f.Point)
		}
		t.Fixes = append(t.Fixes, f)
		t.End = f.At
	}
	return out
}

// Stop is a stay point: the worker stayed near Point from Start to End.
type Stop struct {
	Point   orb.Point `json:"point"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"seconds"`
}

// Stops finds the stay points of one trip (see the package comment).
func Stops(fixes []Fix, radiusM float64, min time.Duration) []Stop {
	var out []Stop
	for i := 0; i < len(fixes); {
		j := i + 1
		for j < len(fixes) && geo.Distance(fixes[i].Point, fixes[j].Point) <= radiusM {
			j++
		}
		if d := fixes[j-1].At.Sub(fixes[i].At); j-1 > i && d >= min {
			var c orb.Point
			for _, f := range fixes[i:j] {
				c[0] += f.Point[0]
				c[1] += f.Point[1]
			}
			n := float64(j - i)
			out = append(out, Stop{Point: orb.Point{c[0] / n, c[1] / n}, Start: fixes[i].At, End: fixes[j-1].At, Seconds: d.Seconds()})
			i = j
			continue
		}
		i++
	}
	return out
}

// Day holds one calendar day's figures of one worker.
type Day struct {
	Date           string  `json:"date"` // YYYY-MM-DD in the location given to Days
	DistanceM      float64 `json:"distance_m"`
	PatrolSeconds  float64 `json:"patrol_seconds"`
	MovingSeconds  float64 `json:"moving_seconds"`
	StoppedSeconds float64 `json:"stopped_seconds"`
	InGridSeconds  float64 `json:"in_grid_seconds"`
	Trips          []Trip  `json:"trips"`
	Stops          []Stop  `json:"stops"`
	Fixes          int     `json:"fixes"` // kept fixes recorded on this day
	// Track is the day's trips as lines of kept fixes, cut at midnight
	// (the cut point interpolated); a lone fix makes no line.
	Track orb.MultiLineString `json:"-"`
}

// Days computes per-day figures from raw fixes: Clean, Trips, Stops, then
// every interval split at midnight in loc and at the edges of grids.
// grids may be empty (no in-grid time). Days come out in date order.
func Days(fixes []Fix, p Params, loc *time.Location, grids orb.MultiPolygon) ([]Day, []Why) {
	kept, why := Clean(fixes, p)
	byDate := map[string]*Day{}
	var dates []string
	day := func(t time.Time) *Day {
		k := t.In(loc).Format(time.DateOnly)
		d, ok := byDate[k]
		if !ok {
			d = &Day{Date: k, Trips: []Trip{}, Stops: []Stop{}}
			byDate[k] = d
			dates = append(dates, k)
		}
		return d
	}
	for _, f := range kept {
		day(f.At).Fixes++
	}
	bound := grids.Bound()
	for _, t := range Trips(kept, p.MaxGap) {
		for _, s := range Stops(t.Fixes, p.StayRadiusM, p.StayMin) {
			day(s.Start).Stops = append(day(s.Start).Stops, s)
			for _, piece := range splitAtMidnight(s.Start, s.End, loc) {
				day(piece.from).StoppedSeconds += piece.to.Sub(piece.from).Seconds()
			}
		}
		// The trip, cut into per-day pieces.
		var cur *Trip
		for i := 1; i < len(t.Fixes); i++ {
			a, b := t.Fixes[i-1], t.Fixes[i]
			d := geo.Distance(a.Point, b.Point)
			in := 0.0
			if len(grids) > 0 {
				in = insideFraction(a.Point, b.Point, grids, bound)
			}
			total := b.At.Sub(a.At).Seconds()
			for _, piece := range splitAtMidnight(a.At, b.At, loc) {
				dd := day(piece.from)
				secs := piece.to.Sub(piece.from).Seconds()
				share := 1.0
				if total > 0 {
					share = secs / total
				}
				dd.PatrolSeconds += secs
				dd.DistanceM += d * share
				dd.InGridSeconds += secs * in
				if cur == nil || day(cur.Start) != dd {
					dd.Trips = append(dd.Trips, Trip{Start: piece.from, End: piece.from})
					cur = &dd.Trips[len(dd.Trips)-1]
					dd.Track = append(dd.Track, orb.LineString{at(a, b, piece.from)})
				}
				cur.End = piece.to
				cur.DistanceM += d * share
				line := &dd.Track[len(dd.Track)-1]
				*line = append(*line, at(a, b, piece.to))
			}
		}
		if len(t.Fixes) == 1 { // a lone fix: a trip of no length
			dd := day(t.Start)
			dd.Trips = append(dd.Trips, Trip{Start: t.Start, End: t.Start})
		}
	}
	sort.Strings(dates)
	out := make([]Day, len(dates))
	for i, k := range dates {
		d := byDate[k]
		d.MovingSeconds = math.Max(0, d.PatrolSeconds-d.StoppedSeconds)
		out[i] = *d
	}
	return out, why
}

// at interpolates the position between a and b at time t (constant speed).
func at(a, b Fix, t time.Time) orb.Point {
	if t.Equal(a.At) {
		return a.Point
	}
	if t.Equal(b.At) {
		return b.Point
	}
	f := t.Sub(a.At).Seconds() / b.At.Sub(a.At).Seconds()
	return orb.Point{a.Point[0] + (b.Point[0]-a.Point[0])*f, a.Point[1] + (b.Point[1]-a.Point[1])*f}
}

type span struct{ from, to time.Time }

// splitAtMidnight cuts [from, to] at every midnight in loc.
func splitAtMidnight(from, to time.Time, loc *time.Location) []span {
	var out []span
	for from.Before(to) {
		y, m, d := from.In(loc).Date()
		next := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		if !next.Before(to) {
			break
		}
		out = append(out, span{from, next})
		from = next
	}
	return append(out, span{from, to})
}

// insideFraction returns the share of segment a→b (by length, planar in
// degrees: segments between fixes are tens of metres) inside the polygons.
// A point on an edge counts as inside.
func insideFraction(a, b orb.Point, mp orb.MultiPolygon, bound orb.Bound) float64 {
	if a == b {
		if planar.MultiPolygonContains(mp, a) {
			return 1
		}
		return 0
	}
	seg := orb.Bound{Min: a, Max: a}.Extend(b)
	if !seg.Intersects(bound) {
		return 0
	}
	cuts := []float64{0, 1}
	for _, poly := range mp {
		for _, ring := range poly {
			for i := 1; i < len(ring); i++ {
				if t, ok := crossing(a, b, ring[i-1], ring[i]); ok {
					cuts = append(cuts, t)
				}
			}
		}
	}
	sort.Float64s(cuts)
	in := 0.0
	for i := 1; i < len(cuts); i++ {
		t0, t1 := cuts[i-1], cuts[i]
		if t1 <= t0 {
			continue
		}
		m := (t0 + t1) / 2
		mid := orb.Point{a[0] + (b[0]-a[0])*m, a[1] + (b[1]-a[1])*m}
		if planar.MultiPolygonContains(mp, mid) {
			in += t1 - t0
		}
	}
	return in
}

// crossing returns the parameter t in [0,1] along a→b where it meets c→d.
func crossing(a, b, c, d orb.Point) (float64, bool) {
	rx, ry := b[0]-a[0], b[1]-a[1]
	sx, sy := d[0]-c[0], d[1]-c[1]
	den := rx*sy - ry*sx
	if den == 0 {
		return 0, false // parallel: collinear overlaps are decided by the midpoint test
	}
	qx, qy := c[0]-a[0], c[1]-a[1]
	t := (qx*sy - qy*sx) / den
	u := (qx*ry - qy*rx) / den
	if t < 0 || t > 1 || u < 0 || u > 1 {
		return 0, false
	}
	return t, true
}
