package store_test

import (
	"context"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/geo/track"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/ingest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// seven is p with 7 decimals, as a device sends it and as the database
// stores every point (the 1e-7° grid, migration 000030).
func seven(p orb.Point) orb.Point {
	return orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}
}

// walk returns n fixes every 10 s from p, 8 m further east each time.
func walk(p orb.Point, start time.Time, n int) []ingest.Fix {
	acc := float32(5)
	out := make([]ingest.Fix, n)
	for i := range out {
		out[i] = ingest.Fix{At: start.Add(time.Duration(i) * 10 * time.Second), Point: seven(orb.Point{p[0] + float64(i)*8/96000, p[1]}), AccuracyM: &acc}
	}
	return out
}

func asTrack(fixes []ingest.Fix) []track.Fix {
	out := make([]track.Fix, len(fixes))
	for i, f := range fixes {
		out[i] = track.Fix{At: f.At, Point: f.Point, AccuracyM: float64(*f.AccuracyM)}
	}
	return out
}

func TestPatrolSweepIsIdempotentAndPicksUpLatePoints(t *testing.T) {
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 8, PatrolDays: -1})
	ctx := context.Background()
	st := store.New(pool)
	var user int64
	var grid string
	var centre orb.Point
	if err := pool.QueryRow(ctx, `
SELECT s.user_id, s.unit_code, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom))
FROM grid_staff s JOIN units u ON u.code = s.unit_code
WHERE s.role = 'grid_worker' AND s.user_id IS NOT NULL ORDER BY s.unit_code LIMIT 1`).Scan(&user, &grid, &centre[0], &centre[1]); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, workcal.CST)
	morning := walk(centre, day.Add(9*time.Hour), 180) // 30 min
	if n, err := st.AddFixes(ctx, grid[:6], user, morning); err != nil || n != 180 {
		t.Fatalf("add: %d %v", n, err)
	}
	asOf := day.AddDate(0, 0, 1).Add(time.Hour)
	res, err := st.SweepPatrolDays(ctx, asOf, store.DefaultPatrolParams, 1000)
	if err != nil || res.Computed != 1 || res.Closed != 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	got := func() store.PatrolDay {
		t.Helper()
		days, err := st.PatrolDays(ctx, store.PatrolDayQuery{UserID: user, From: "2026-11-20", To: "2026-11-20"})
		if err != nil || len(days) != 1 {
			t.Fatalf("days: %+v %v", days, err)
		}
		return days[0]
	}
	want, _ := track.Days(asTrack(morning), track.DefaultParams, workcal.CST, nil)
	d := got()
	if math.Abs(d.DistanceM-want[0].DistanceM) > 1e-6 || d.PatrolSeconds != 1790 || !d.Closed || d.Fixes != 180 {
		t.Errorf("day %+v, want distance %.3f, 1790 s", d, want[0].DistanceM)
	}
	if d.CoverageRatio == nil || *d.CoverageRatio <= 0 || *d.CoverageRatio > 1 {
		t.Errorf("coverage %v", d.CoverageRatio)
	}
	if d.InGridSeconds <= 0 || d.InGridSeconds > d.PatrolSeconds {
		t.Errorf("in grid %.1f of %.1f s", d.InGridSeconds, d.PatrolSeconds)
	}

	// Again: nothing is due; a retried, reordered upload marks nothing.
	if res, err := st.SweepPatrolDays(ctx, asOf, store.DefaultPatrolParams, 1000); err != nil || res.Due != 0 {
		t.Fatalf("second sweep: %+v %v", res, err)
	}
	shuffled := append([]ingest.Fix{}, morning...)
	rand.New(rand.NewSource(3)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if n, err := st.AddFixes(ctx, grid[:6], user, shuffled); err != nil || n != 0 {
		t.Fatalf("retry stored %d %v", n, err)
	}
	if res, err := st.SweepPatrolDays(ctx, asOf, store.DefaultPatrolParams, 1000); err != nil || res.Due != 0 {
		t.Fatalf("after retry: %+v %v", res, err)
	}
	if d2 := got(); d2.PatrolSeconds != d.PatrolSeconds || d2.DistanceM != d.DistanceM {
		t.Errorf("retry changed the day: %+v", d2)
	}

	// A late upload of the afternoon: the closed day is computed again.
	afternoon := walk(centre, day.Add(14*time.Hour), 60)
	if _, err := st.AddFixes(ctx, grid[:6], user, afternoon); err != nil {
		t.Fatal(err)
	}
	if res, err := st.SweepPatrolDays(ctx, asOf.Add(time.Hour), store.DefaultPatrolParams, 1000); err != nil || res.Computed != 1 {
		t.Fatalf("late sweep: %+v %v", res, err)
	}
	if d3 := got(); d3.PatrolSeconds != 1790+590 || len(d3.Trips) == 0 || d3.Fixes != 240 {
		t.Errorf("after late points: %.0f s, %d fixes", d3.PatrolSeconds, d3.Fixes)
	}

	// Late points for a day still running: computed, and still due.
	today := walk(centre, day.AddDate(0, 0, 2).Add(8*time.Hour), 30)
	if _, err := st.AddFixes(ctx, grid[:6], user, today); err != nil {
		t.Fatal(err)
	}
	noon := day.AddDate(0, 0, 2).Add(12 * time.Hour)
	res, err = st.SweepPatrolDays(ctx, noon, store.DefaultPatrolParams, 1000)
	if err != nil || res.Computed != 1 || res.Closed != 0 {
		t.Fatalf("open-day sweep: %+v %v", res, err)
	}
	if res, _ := st.SweepPatrolDays(ctx, noon, store.DefaultPatrolParams, 1000); res.Due != 1 {
		t.Errorf("open day no longer due: %+v", res)
	}

	// Gaps: the walk passed through the grid, so some of it is seen; with
	// no patrol at all the whole grid is a gap.
	fc, err := st.PatrolGaps(ctx, grid, "2026-11-20", "2026-11-20", 50)
	if err != nil {
		t.Fatal(err)
	}
	unitArea, gapArea := fc.Summary["unit_area_m2"].(float64), fc.Summary["gap_area_m2"].(float64)
	if len(fc.Features) == 0 || gapArea >= unitArea || gapArea <= 0 {
		t.Errorf("gaps: %d features, %.0f of %.0f m²", len(fc.Features), gapArea, unitArea)
	}
	if math.Abs((1-gapArea/unitArea)-*d.CoverageRatio) > 0.02 {
		t.Errorf("gap share %.4f and coverage %.4f disagree", gapArea/unitArea, *d.CoverageRatio)
	}
	fc, err = st.PatrolGaps(ctx, grid, "2026-10-01", "2026-10-02", 50)
	if err != nil || math.Abs(fc.Summary["gap_area_m2"].(float64)-unitArea) > 1 {
		t.Errorf("no patrol: %v %v", fc.Summary, err)
	}
	vis, err := st.PatrolVisits(ctx, grid, "2026-11-20", "2026-11-22", 50, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range vis.Features {
		if f.Properties["days"].(int64) > 0 {
			seen++
		}
	}
	if seen == 0 || seen == len(vis.Features) {
		t.Errorf("visits: %d of %d cells seen", seen, len(vis.Features))
	}
}

func TestPatrolSweepOfDemoTracks(t *testing.T) {
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 8, PatrolDays: 2})
	ctx := context.Background()
	st := store.New(pool)
	now := time.Now()
	n, err := st.MarkPatrolDays(ctx, now.AddDate(0, 0, -5), now.AddDate(0, 0, 1))
	if err != nil || n == 0 {
		t.Fatalf("mark: %d %v", n, err)
	}
	res, err := st.SweepPatrolDays(ctx, now, store.DefaultPatrolParams, 10000)
	if err != nil || res.Computed != n {
		t.Fatalf("sweep %+v of %d: %v", res, n, err)
	}
	// The day figures agree with the fixes they came from: distance is the
	// haversine sum over consecutive kept fixes of a trip.
	var days int
	var bad int
	if err := pool.QueryRow(ctx, `
WITH k AS (
  SELECT d.user_id, d.day, d.distance_m, d.track FROM patrol_days d WHERE d.closed)
SELECT count(*), count(*) FILTER (WHERE abs(ST_Length(track::geography, false) - distance_m) > 0.01 * distance_m + 1)
FROM k`).Scan(&days, &bad); err != nil {
		t.Fatal(err)
	}
	if days == 0 || bad != 0 {
		t.Errorf("%d closed days, %d whose distance differs from their track's length by over 1%%", days, bad)
	}
}
