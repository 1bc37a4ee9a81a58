package store_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paulmach/orb/geo"

	"wangge/geo/crs"
	"wangge/geo/track"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/ingest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// The GeoLife sample tracks (Beijing, 2008–09) import, and their day figures
// are sane: distance within 1% of the haversine sum over the kept fixes of
// each day, and stops where the data pause.
func TestGeoLifeTracksImportAndSweep(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/testdata/geolife-trackintel/geolife_long/*/Trajectory/*.plt")
	if len(files) == 0 {
		t.Fatal("GeoLife samples not found")
	}
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 8, PatrolDays: -1})
	ctx := context.Background()
	st := store.New(pool)
	var worker string
	if err := pool.QueryRow(ctx, `SELECT u.username FROM users u JOIN grid_staff s ON s.user_id = u.id ORDER BY u.username LIMIT 1`).Scan(&worker); err != nil {
		t.Fatal(err)
	}
	id, unit, err := st.PatrolWorker(ctx, worker)
	if err != nil || len(unit) < 6 {
		t.Fatalf("%s: %v %q", worker, err, unit)
	}
	var all []track.Fix
	for _, name := range files {
		b, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		fixes, err := ingest.ParsePLT(b, crs.WGS84, time.Now())
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddFixes(ctx, unit[:6], id, fixes); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range fixes {
			all = append(all, track.Fix{At: f.At, Point: f.Point})
		}
	}
	// Importing again stores nothing.
	for _, name := range files[:1] {
		b, _ := os.Open(name)
		fixes, _ := ingest.ParsePLT(b, crs.WGS84, time.Now())
		b.Close()
		if n, err := st.AddFixes(ctx, unit[:6], id, fixes); err != nil || n != 0 {
			t.Fatalf("second import stored %d, %v", n, err)
		}
	}
	res, err := st.SweepPatrolDays(ctx, time.Now(), store.DefaultPatrolParams, 10000)
	if err != nil || res.Computed == 0 {
		t.Fatalf("sweep %+v %v", res, err)
	}
	days, err := st.PatrolDays(ctx, store.PatrolDayQuery{UserID: id, From: "2000-01-01", To: "2030-01-01"})
	if err != nil || len(days) == 0 {
		t.Fatalf("days %d %v", len(days), err)
	}
	// The independent sum: haversine over consecutive kept fixes of the
	// same China day, skipping only the gaps that end trips.
	kept, _ := track.Clean(all, track.DefaultParams)
	sum := map[string]float64{}
	for i := 1; i < len(kept); i++ {
		a, b := kept[i-1], kept[i]
		if b.At.Sub(a.At) > track.DefaultParams.MaxGap || a.At.In(workcal.CST).Format(time.DateOnly) != b.At.In(workcal.CST).Format(time.DateOnly) {
			continue
		}
		sum[a.At.In(workcal.CST).Format(time.DateOnly)] += geo.Distance(a.Point, b.Point)
	}
	stops := 0
	for _, d := range days {
		if math.Abs(d.DistanceM-sum[d.Day]) > 0.01*sum[d.Day]+1 {
			t.Errorf("%s: distance %.1f m, haversine sum %.1f m", d.Day, d.DistanceM, sum[d.Day])
		}
		if d.PatrolSeconds <= 0 || d.PatrolSeconds > 86400 || d.MovingSeconds+d.StoppedSeconds-d.PatrolSeconds > 1e-6 {
			t.Errorf("%s: patrol %.0f s, moving %.0f, stopped %.0f", d.Day, d.PatrolSeconds, d.MovingSeconds, d.StoppedSeconds)
		}
		if string(d.Stops) != "[]" {
			stops++
		}
		t.Logf("%s: %.0f m, %.0f s patrol, %.0f s stopped, %d fixes, %d dropped", d.Day, d.DistanceM, d.PatrolSeconds, d.StoppedSeconds, d.Fixes, d.Dropped)
	}
	if stops == 0 {
		t.Error("no stops found in any GeoLife day")
	}
}
