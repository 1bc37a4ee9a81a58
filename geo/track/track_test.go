package track

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

var cst = time.FixedZone("CST", 8*3600)

// degPerM is how many degrees of latitude one metre along a meridian is: on
// a meridian the haversine distance is exactly R·Δφ, so walks north have
// distances that can be worked by hand.
const degPerM = 180 / (math.Pi * orb.EarthRadius)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, cst)

// walkNorth returns n+1 fixes from p, one every step, each stepM metres
// further north.
func walkNorth(p orb.Point, start time.Time, n int, step time.Duration, stepM float64) []Fix {
	out := make([]Fix, n+1)
	for i := range out {
		out[i] = Fix{At: start.Add(time.Duration(i) * step), Point: orb.Point{p[0], p[1] + float64(i)*stepM*degPerM}, AccuracyM: 5}
	}
	return out
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f", what, got, want)
	}
}

func oneDay(t *testing.T, fixes []Fix, grids orb.MultiPolygon) Day {
	t.Helper()
	days, _ := Days(fixes, DefaultParams, cst, grids)
	if len(days) != 1 {
		t.Fatalf("%d days, want 1: %+v", len(days), days)
	}
	return days[0]
}

func TestSquareAtConstantSpeed(t *testing.T) {
	// A 100 m × 100 m square (sides along a meridian and two parallels),
	// walked at 1 m/s with a fix every 10 s: 40 intervals, 400 s.
	const lat0 = 30.0
	side := 100 * degPerM // degrees of latitude for 100 m
	lat1 := lat0 + side
	// Along a parallel the haversine distance is 2R·asin(cos φ·sin(Δλ/2)).
	// Choose Δλ so that the southern side is 100 m exactly.
	dlon := 2 * math.Asin(math.Sin(100/(2*orb.EarthRadius))/math.Cos(lat0*math.Pi/180)) * 180 / math.Pi
	north := 2 * orb.EarthRadius * math.Asin(math.Cos(lat1*math.Pi/180)*math.Sin(dlon*math.Pi/360))
	corners := []orb.Point{{120, lat0}, {120 + dlon, lat0}, {120 + dlon, lat1}, {120, lat1}, {120, lat0}}
	var fixes []Fix
	at := t0
	for c := 0; c < 4; c++ {
		a, b := corners[c], corners[c+1]
		for i := 0; i < 10; i++ {
			f := float64(i) / 10
			fixes = append(fixes, Fix{At: at, Point: orb.Point{a[0] + (b[0]-a[0])*f, a[1] + (b[1]-a[1])*f}, AccuracyM: 5})
			at = at.Add(10 * time.Second)
		}
	}
	fixes = append(fixes, Fix{At: at, Point: corners[4], AccuracyM: 5})
	// The worker's grid is the western half of the square: the walk is in it
	// for the first half of the south side, the second half of the north
	// side and all of the west side: 50 + 50 + 100 = 200 s.
	west := orb.MultiPolygon{{{{120 - 1e-3, lat0 - 1e-3}, {120 + dlon/2, lat0 - 1e-3}, {120 + dlon/2, lat1 + 1e-3}, {120 - 1e-3, lat1 + 1e-3}, {120 - 1e-3, lat0 - 1e-3}}}}
	d := oneDay(t, fixes, west)
	near(t, "distance", d.DistanceM, 300+north, 1e-6)
	near(t, "patrol", d.PatrolSeconds, 400, 0)
	near(t, "moving", d.MovingSeconds, 400, 0)
	near(t, "in grid", d.InGridSeconds, 200, 1e-6)
	if len(d.Trips) != 1 || len(d.Stops) != 0 || d.Fixes != 41 {
		t.Errorf("trips %d stops %d fixes %d, want 1 0 41", len(d.Trips), len(d.Stops), d.Fixes)
	}
	near(t, "trip distance", d.Trips[0].DistanceM, 300+north, 1e-6)
	if !d.Trips[0].Start.Equal(t0) || !d.Trips[0].End.Equal(t0.Add(400*time.Second)) {
		t.Errorf("trip %v–%v", d.Trips[0].Start, d.Trips[0].End)
	}
}

func TestStopOfKnownLength(t *testing.T) {
	// 60 m every 10 s (6 m/s) for 100 s, ten minutes at one spot, then on:
	// no fix but the stop's is within 50 m of another, so the stop is exactly
	// the 600 s between its first and last fix.
	p := orb.Point{120.1, 30.2}
	a := walkNorth(p, t0, 10, 10*time.Second, 60)
	spot := a[len(a)-1].Point
	var stay []Fix
	for i := 1; i <= 60; i++ {
		stay = append(stay, Fix{At: a[len(a)-1].At.Add(time.Duration(i) * 10 * time.Second), Point: spot, AccuracyM: 5})
	}
	b := walkNorth(spot, stay[len(stay)-1].At, 10, 10*time.Second, 60)[1:]
	fixes := append(append(a, stay...), b...)
	d := oneDay(t, fixes, nil)
	if len(d.Stops) != 1 {
		t.Fatalf("stops %+v, want 1", d.Stops)
	}
	s := d.Stops[0]
	near(t, "stop", s.Seconds, 600, 0)
	if !s.Start.Equal(t0.Add(100*time.Second)) || math.Abs(s.Point[0]-spot[0]) > 1e-9 || math.Abs(s.Point[1]-spot[1]) > 1e-9 {
		t.Errorf("stop %+v", s)
	}
	near(t, "patrol", d.PatrolSeconds, 800, 0)
	near(t, "stopped", d.StoppedSeconds, 600, 0)
	near(t, "moving", d.MovingSeconds, 200, 0)
	near(t, "distance", d.DistanceM, 1200, 1e-6)

	// Jitter of a few metres around the spot is still one stop.
	r := rand.New(rand.NewSource(1))
	for i := range stay {
		stay[i].Point = orb.Point{spot[0] + (r.Float64()-0.5)*5e-5, spot[1] + (r.Float64()-0.5)*5e-5}
	}
	fixes = append(append(append([]Fix{}, a...), stay...), b...)
	if d := oneDay(t, fixes, nil); len(d.Stops) != 1 || d.Stops[0].Seconds < 590 {
		t.Errorf("jittered stop: %+v", d.Stops)
	}
}

func TestSpikePoorAccuracyAndJumpAreDropped(t *testing.T) {
	fixes := walkNorth(orb.Point{120.1, 30.2}, t0, 30, 10*time.Second, 10) // 300 m in 300 s
	fixes[10].Point[0] += 500 * degPerM * 1.2                              // 500+ m east and back: a spike
	fixes[20].AccuracyM = 200                                              // poor accuracy
	d := oneDay(t, fixes, nil)
	near(t, "distance", d.DistanceM, 300, 1e-6)
	near(t, "patrol", d.PatrolSeconds, 300, 0)
	_, why := Clean(fixes, DefaultParams)
	if why[10] != Spike || why[20] != PoorAccuracy || d.Fixes != 29 {
		t.Errorf("why[10]=%d why[20]=%d fixes=%d", why[10], why[20], d.Fixes)
	}
	// The last two fixes jump 2 km away within 20 s and stay there: too fast
	// to be real, and with no way back it is not a spike.
	far := walkNorth(orb.Point{120.1, 30.2 + 2000*degPerM}, t0.Add(310*time.Second), 1, 10*time.Second, 10)
	kept, why := Clean(append(walkNorth(orb.Point{120.1, 30.2}, t0, 30, 10*time.Second, 10), far...), DefaultParams)
	if len(kept) != 31 || why[31] != TooFast || why[32] != TooFast {
		t.Errorf("kept %d why %v", len(kept), why[29:])
	}
}

func TestGapSplitsTrips(t *testing.T) {
	p := orb.Point{120.1, 30.2}
	a := walkNorth(p, t0, 10, 10*time.Second, 10)
	// Ten minutes without a fix, then 200 m further north: the gap is a
	// break, neither its time nor its distance is patrol.
	b := walkNorth(orb.Point{p[0], a[10].Point[1] + 200*degPerM}, a[10].At.Add(10*time.Minute), 10, 10*time.Second, 10)
	d := oneDay(t, append(a, b...), nil)
	if len(d.Trips) != 2 {
		t.Fatalf("trips %+v", d.Trips)
	}
	near(t, "patrol", d.PatrolSeconds, 200, 0)
	near(t, "distance", d.DistanceM, 200, 1e-6)
	near(t, "trip 2", d.Trips[1].DistanceM, 100, 1e-6)
	if !d.Trips[1].Start.Equal(b[0].At) {
		t.Errorf("trip 2 starts %v", d.Trips[1].Start)
	}
}

func TestMidnightAndGridBoundary(t *testing.T) {
	// North at 1 m/s, a fix every 10 s from 23:55:05 to 00:05:05 China
	// time: the interval 23:59:55–00:00:05 is split 5 s / 5 s.
	start := time.Date(2026, 11, 2, 23, 55, 5, 0, cst)
	p := orb.Point{120.1, 30.2}
	fixes := walkNorth(p, start, 60, 10*time.Second, 10)
	// The grid ends 250 m north of the start (crossed at 23:59:15), so the
	// walk is in it for 250 s, all on the first day.
	edge := p[1] + 250*degPerM
	grid := orb.MultiPolygon{{{{120, 30}, {120.2, 30}, {120.2, edge}, {120, edge}, {120, 30}}}}
	days, _ := Days(fixes, DefaultParams, cst, grid)
	if len(days) != 2 || days[0].Date != "2026-11-02" || days[1].Date != "2026-11-03" {
		t.Fatalf("days %+v", days)
	}
	near(t, "day 1 patrol", days[0].PatrolSeconds, 295, 1e-9)
	near(t, "day 2 patrol", days[1].PatrolSeconds, 305, 1e-9)
	near(t, "day 1 distance", days[0].DistanceM, 295, 1e-6)
	near(t, "day 2 distance", days[1].DistanceM, 305, 1e-6)
	near(t, "day 1 in grid", days[0].InGridSeconds, 250, 1e-6)
	near(t, "day 2 in grid", days[1].InGridSeconds, 0, 0)
	if len(days[0].Trips) != 1 || len(days[1].Trips) != 1 {
		t.Fatalf("trips %+v / %+v", days[0].Trips, days[1].Trips)
	}
	midnight := time.Date(2026, 11, 3, 0, 0, 0, 0, cst)
	if !days[0].Trips[0].End.Equal(midnight) || !days[1].Trips[0].Start.Equal(midnight) {
		t.Errorf("trips not cut at midnight: %v / %v", days[0].Trips[0].End, days[1].Trips[0].Start)
	}
	// The lines meet at the midnight point, halfway between two fixes.
	l1, l2 := days[0].Track[0], days[1].Track[0]
	if len(days[0].Track) != 1 || len(l1) != 31 || len(l2) != 32 || l1[len(l1)-1] != l2[0] {
		t.Errorf("tracks %d/%d points, ends %v %v", len(l1), len(l2), l1[len(l1)-1], l2[0])
	}
	near(t, "midnight point", l2[0][1], p[1]+295*degPerM, 1e-12)
	if days[0].Fixes+days[1].Fixes != 61 || days[0].Fixes != 30 {
		t.Errorf("fixes %d + %d", days[0].Fixes, days[1].Fixes)
	}
}

func TestReorderedAndDuplicatedInputChangesNothing(t *testing.T) {
	fixes := walkNorth(orb.Point{120.1, 30.2}, t0, 200, 10*time.Second, 8)
	fixes[50].Point[0] += 0.01 // a spike
	want, _ := Days(fixes, DefaultParams, cst, nil)
	shuffled := append([]Fix{}, fixes...)
	shuffled = append(shuffled, fixes[:40]...) // uploaded twice
	r := rand.New(rand.NewSource(7))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := 0; i < 20; i++ {
		got, _ := Days(shuffled, DefaultParams, cst, nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled and duplicated input gave\n%+v\nwant\n%+v", got, want)
		}
	}
}

func TestEmptyAndLoneFix(t *testing.T) {
	if days, _ := Days(nil, DefaultParams, cst, nil); len(days) != 0 {
		t.Errorf("no fixes gave %+v", days)
	}
	d := oneDay(t, []Fix{{At: t0, Point: orb.Point{120, 30}}}, nil)
	if d.PatrolSeconds != 0 || d.DistanceM != 0 || len(d.Trips) != 1 || d.Fixes != 1 {
		t.Errorf("lone fix: %+v", d)
	}
}

func TestInsideFractionOnTheEdge(t *testing.T) {
	sq := orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}}
	b := sq.Bound()
	for _, c := range []struct {
		a, b orb.Point
		want float64
	}{
		{orb.Point{-1, 0.5}, orb.Point{2, 0.5}, 1.0 / 3},
		{orb.Point{0.2, 0.2}, orb.Point{0.8, 0.8}, 1},
		{orb.Point{2, 2}, orb.Point{3, 3}, 0},
		{orb.Point{0, -1}, orb.Point{0, 2}, 1.0 / 3}, // along an edge: on the edge is in
		{orb.Point{0.5, 0.5}, orb.Point{0.5, 0.5}, 1},
	} {
		near(t, "inside", insideFraction(c.a, c.b, sq, b), c.want, 1e-12)
	}
}
