package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// TestPatrolDayStreetShare: a worker walks the whole of one street of their
// grid from its start; the other street leaves that start northwards for
// 100 m, so the 50 m buffer of the walk holds its first 49–50 m (the buffer
// is a 16-gon). The day's street share is (A + ~49.5) / (A + 100); with no
// street loaded in the region it is NULL, not 0.
func TestPatrolDayStreetShare(t *testing.T) {
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 8, PatrolDays: -1})
	ctx := context.Background()
	st := store.New(pool)
	var user int64
	var grid string
	var start orb.Point
	if err := pool.QueryRow(ctx, `
SELECT s.user_id, s.unit_code, ST_X(ST_PointOnSurface(u.geom)), ST_Y(ST_PointOnSurface(u.geom))
FROM grid_staff s JOIN units u ON u.code = s.unit_code
WHERE s.role = 'grid_worker' AND s.user_id IS NOT NULL ORDER BY ST_Area(u.geom) DESC LIMIT 1`).Scan(&user, &grid, &start[0], &start[1]); err != nil {
		t.Fatal(err)
	}
	// The demo makes a street network along its boundaries: this test lays its own two streets.
	if _, err := pool.Exec(ctx, `DELETE FROM streets`); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, workcal.CST)
	fixes := walk(start, day.Add(9*time.Hour), 13) // 12 steps of about 8 m eastwards
	sweep := func() store.PatrolDay {
		t.Helper()
		if _, err := st.AddFixes(ctx, grid[:6], user, fixes); err != nil {
			t.Fatal(err)
		}
		if _, err := st.MarkPatrolDays(ctx, day, day.AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SweepPatrolDays(ctx, day.AddDate(0, 0, 1).Add(time.Hour), store.DefaultPatrolParams, 100); err != nil {
			t.Fatal(err)
		}
		days, err := st.PatrolDays(ctx, store.PatrolDayQuery{UserID: user, From: "2026-11-21", To: "2026-11-21"})
		if err != nil || len(days) != 1 {
			t.Fatalf("days: %+v %v", days, err)
		}
		return days[0]
	}
	if d := sweep(); d.StreetRatio != nil {
		t.Fatalf("street share %v with no street loaded", *d.StreetRatio)
	}

	end := fixes[len(fixes)-1].Point
	var lenA float64
	if err := pool.QueryRow(ctx, `
INSERT INTO streets (region_code, name, geom) VALUES
    (left($1, 6), 'A', ST_MakeLine(ST_Point($2, $3, 4326), ST_Point($4, $5, 4326))),
    (left($1, 6), 'B', ST_MakeLine(ST_Point($2, $3, 4326), ST_Project(ST_Point($2, $3, 4326)::geography, 100, 0)::geometry))
RETURNING (SELECT ST_Length(ST_MakeLine(ST_Point($2, $3, 4326), ST_Point($4, $5, 4326))::geography))`,
		grid, start[0], start[1], end[0], end[1]).Scan(&lenA); err != nil {
		t.Fatal(err)
	}
	var inside bool
	if err := pool.QueryRow(ctx, `SELECT bool_and(ST_Covers(u.geom, s.geom)) FROM streets s, units u WHERE u.code = $1`, grid).Scan(&inside); err != nil || !inside {
		t.Fatalf("the streets leave grid %s (%v): pick a larger grid", grid, err)
	}
	d := sweep()
	lo, hi := (lenA+49)/(lenA+100), (lenA+50.01)/(lenA+100)
	if d.StreetRatio == nil || *d.StreetRatio < lo || *d.StreetRatio > hi {
		t.Fatalf("street share %v, want between %.4f and %.4f (A = %.1f m)", d.StreetRatio, lo, hi, lenA)
	}
}
