package inspection_test

import (
	"context"
	"testing"
	"time"

	"wangge/internal/store"
)

// BenchmarkRecordVsBareInsert measures recording an inspection with one
// failed item through the service (checks, judging, distance, calendar,
// hazard, audit; one transaction) against the reference: the same
// inspection and hazard rows written by two bare INSERTs in one
// transaction. It reports both and their ratio.
func BenchmarkRecordVsBareInsert(b *testing.B) {
	w := newSchool(b)
	ctx := context.Background()
	var svc, bare time.Duration
	for i := 0; b.Loop(); i++ {
		w.now = w.now.Add(time.Minute)
		at := w.now.Add(-time.Second)
		fail := "exits_clear"
		if i%2 == 1 {
			fail = "" // a passing one closes the hazard, so the next can open it again
		}
		t0 := time.Now()
		if _, _, err := w.svc.Record(ctx, w.inspector, w.submission(newUUID(), at, w.labResults(fail)), store.AuditEntry{}); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		tx, err := w.pool.Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		id := newUUID()
		if _, err := tx.Exec(ctx, `INSERT INTO inspections (id, request_hash, place_id, template_code, template_version,
                inspector_id, inspector_name, inspected_at, pt, distance_m, far, passed, results, region_code)
            VALUES ($1, '\x00', $2, 'school.lab', 1, $3, 'x', $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), 20, false, false, '[]', left($7, 6))`,
			id, w.lab, w.inspector.UserID, at, w.lon, w.lat, w.grid); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity,
                found_at, deadline, state, closed_by_inspection, region_code)
            VALUES ($1, $2, $3, 'ref', 'ref', 'general', $4, $4, 'closed', $1, left($3, 6))`, id, w.lab, w.grid, at); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
		svc += t1.Sub(t0)
		bare += time.Since(t1)
	}
	b.ReportMetric(float64(svc.Microseconds())/float64(b.N), "µs/record")
	b.ReportMetric(float64(bare.Microseconds())/float64(b.N), "µs/bare-insert")
	b.ReportMetric(float64(svc)/float64(bare), "ratio")
}

// BenchmarkHazardListAtCityScale measures one grid's hazard list (20
// hazards) when the table holds only them (the reference) and again among
// 1,000,000 hazards of 50,000 grids; the ratio shows whether the list stays
// an index range as the city fills up.
func BenchmarkHazardListAtCityScale(b *testing.B) {
	w := newSchool(b)
	ctx := context.Background()
	id := newUUID()
	at := w.now.Add(-time.Hour)
	if _, _, err := w.svc.Record(ctx, w.inspector, w.submission(id, at, w.labResults()), store.AuditEntry{}); err != nil {
		b.Fatal(err)
	}
	seed := func(grids, per int) {
		if _, err := w.pool.Exec(ctx, `INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity,
                found_at, deadline, state, closed_by_inspection, closed_at, region_code)
            SELECT $1, $2, left($3, 9) || lpad(g::text, 6, '0'), 'wiring', 'wiring', 'general', $4, $4, 'closed', $1, $4, left($3, 6)
              FROM generate_series(1, $5) g, generate_series(1, $6) n`, id, w.lab, w.grid, at, grids, per); err != nil {
			b.Fatal(err)
		}
		if _, err := w.pool.Exec(ctx, `ANALYZE hazards`); err != nil {
			b.Fatal(err)
		}
	}
	one := w.grid[:9] + "000001"
	list := func() time.Duration {
		t0 := time.Now()
		for range 200 {
			hs, err := w.st.ListHazards(ctx, one, "closed", 5000)
			if err != nil || len(hs) != 20 {
				b.Fatalf("list: %d, %v", len(hs), err)
			}
		}
		return time.Since(t0) / 200
	}
	seed(1, 20)
	small := list()
	if _, err := w.pool.Exec(ctx, `DELETE FROM hazards WHERE grid_code <> $1`, w.grid); err != nil {
		b.Fatal(err)
	}
	seed(50000, 20)
	var large time.Duration
	for b.Loop() {
		large = list()
	}
	b.ReportMetric(float64(small.Microseconds()), "µs/list-20-rows")
	b.ReportMetric(float64(large.Microseconds()), "µs/list-1M-rows")
	b.ReportMetric(float64(large)/float64(small), "ratio")
}
