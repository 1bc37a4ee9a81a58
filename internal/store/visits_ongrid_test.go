package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/migrate"
)

// visitOffGrid inserts a visit whose point lies off the 1e-7° grid, written
// by plain SQL (not store.RecordVisit, which rounds in Go), and returns its id.
const visitOffGrid = `
INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far)
SELECT gen_random_uuid(), h.region_code, '\x00', h.id, b.grid_code, now(),
       ST_Translate(b.pt, 3.3e-9, -2.7e-9), 0, false
FROM households h JOIN buildings b ON b.id = h.building_id
WHERE b.grid_code IS NOT NULL ORDER BY h.id LIMIT 1
RETURNING id`

// onGrid reports whether visit id's point is exactly what on_grid makes of
// it, checked as TestStoredGeometryIsOnTheGrid checks incidents.
func onGrid(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) bool {
	t.Helper()
	var ok bool
	if err := q.QueryRow(context.Background(), `SELECT ST_X(geom) = round(ST_X(geom)::numeric, 7)::float8
		AND ST_Y(geom) = round(ST_Y(geom)::numeric, 7)::float8 FROM visits WHERE id = $1`, id).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// A visit's point is put on the 1e-7° grid by trigger, on insert and on
// update, as units', buildings' and incidents' are (migration 000073).
func TestVisitOnGridTrigger(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1})
	ctx := context.Background()
	var id string
	if err := pool.QueryRow(ctx, visitOffGrid).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if !onGrid(t, pool, id) {
		t.Error("inserted visit stored off the 1e-7° grid")
	}
	if _, err := pool.Exec(ctx, `UPDATE visits SET geom = ST_Translate(geom, 1.04e-7, 3e-9) WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if !onGrid(t, pool, id) {
		t.Error("updated visit stored off the 1e-7° grid")
	}
}

// On a database that already has visits (an upgrade), migration 000073
// snaps the stored visits and attaches the trigger at once.
func TestVisitOnGridMigrationUpgrade(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1})
	ctx := context.Background()
	// Back to the schema before 000073, with a visit written then.
	for _, q := range []string{
		`DROP TRIGGER visits_0_on_grid ON visits`,
		`DROP FUNCTION visits_on_grid()`,
		`DELETE FROM schema_migrations WHERE version = 73`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var id string
	if err := pool.QueryRow(ctx, visitOffGrid).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if onGrid(t, pool, id) {
		t.Fatal("the visit is on the grid without the trigger: the test would prove nothing")
	}
	n, err := migrate.Up(ctx, pool)
	if err != nil || n != 1 {
		t.Fatalf("migrate: %d applied, %v", n, err)
	}
	if !onGrid(t, pool, id) {
		t.Error("the stored visit was not snapped by the migration")
	}
	var later string
	if err := pool.QueryRow(ctx, visitOffGrid).Scan(&later); err != nil {
		t.Fatal(err)
	}
	if !onGrid(t, pool, later) {
		t.Error("a visit inserted after the upgrade is off the grid")
	}
}

// BenchmarkVisitInsertOnGrid: the bulk cost of the visits trigger. Each
// iteration inserts 100,000 off-grid visits (INSERT … SELECT, one
// statement) four ways, in a rotating order so the machine's load hits
// all alike, each into an emptied visits and change_feed (TRUNCATE, so no
// insert finds another's dead rows): with every trigger, without the
// on-grid trigger, without the kept unit statistics' (migration 135), and
// with no user trigger (the bare insert). Reports the mean ms of each and
// the ratios of all triggers to the runs without one of them.
//
//	go test -run XXX -bench VisitInsertOnGrid -benchtime 5x ./internal/store
func BenchmarkVisitInsertOnGrid(b *testing.B) {
	pool, _ := dbtest.Demo(b, demo.Options{Grids: 10, PatrolDays: -1})
	ctx := context.Background()
	const rows = 100000
	insert := func(disable string) time.Duration {
		if _, err := pool.Exec(ctx, `TRUNCATE visits, change_feed`); err != nil {
			b.Fatal(err)
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if disable != "" {
			if _, err := tx.Exec(ctx, `ALTER TABLE visits DISABLE TRIGGER `+disable); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		tag, err := tx.Exec(ctx, `
			INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far)
			WITH placed AS (SELECT array_agg(id) AS ids FROM (SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id
			                                                  WHERE b.grid_code IS NOT NULL ORDER BY h.id LIMIT 100) s)
			SELECT gen_random_uuid(), h.region_code, '\x00', h.id, b.grid_code, now() - i * interval '1 minute',
			       ST_Translate(b.pt, (i % 97) * 1.3e-9, -(i % 89) * 1.1e-9), 0, false
			FROM generate_series(1, $1) i CROSS JOIN placed
			JOIN households h ON h.id = placed.ids[1 + i % cardinality(placed.ids)]
			JOIN buildings b ON b.id = h.building_id`, rows)
		if err != nil {
			b.Fatal(err)
		}
		if tag.RowsAffected() != rows {
			b.Fatalf("%d visits inserted, want %d", tag.RowsAffected(), rows)
		}
		if disable != "" {
			if _, err := tx.Exec(ctx, `ALTER TABLE visits ENABLE TRIGGER `+disable); err != nil {
				b.Fatal(err)
			}
		}
		// The commit is part of the load (WAL flush).
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		return d
	}
	var with, without, noStats, bare time.Duration
	b.ResetTimer()
	for i := range b.N {
		ways := []func(){
			func() { with += insert("") },
			func() { without += insert("visits_0_on_grid") },
			func() { noStats += insert("visits_stats_ins") },
			func() { bare += insert("USER") },
		}
		for k := range ways {
			ways[(i+k)%len(ways)]()
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(with.Milliseconds())/n, "ms/trigger")
	b.ReportMetric(float64(without.Milliseconds())/n, "ms/no-trigger")
	b.ReportMetric(float64(noStats.Milliseconds())/n, "ms/no-stats")
	b.ReportMetric(float64(bare.Milliseconds())/n, "ms/bare")
	b.ReportMetric(float64(with)/float64(without), "trigger/no-trigger")
	b.ReportMetric(float64(with)/float64(noStats), "stats/no-stats")
}
