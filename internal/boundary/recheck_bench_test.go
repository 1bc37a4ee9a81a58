package boundary_test

import (
	"context"
	"testing"
	"time"

	"wangge/internal/store"
)

// BenchmarkRecheck times grid.Commit's PostGIS re-check of one adjust-mode
// edit in a district of ~10,000 grids both ways, alternately in one run: the
// whole community (coverage_defects, what Commit ran before) and its grids
// within the box of the old and new shapes (coverage_defects_near, what it
// runs now).
//
//	go test -run '^$' -bench Recheck -benchtime 20x ./internal/boundary/
func BenchmarkRecheck(b *testing.B) {
	pool := benchDistrict(b, 10000)
	ctx := context.Background()
	var comm string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 3 ORDER BY code OFFSET 40 LIMIT 1`).Scan(&comm); err != nil {
		b.Fatal(err)
	}
	st := store.New(pool)
	gs := loadGrids(b, pool, comm)
	a, nb, v := neighbours(b, gs)
	env := a.geom.Bound().Union(moveVertex(a.geom, v, toward(v, centroid(nb.geom), 5)).Bound())
	var full, near time.Duration
	for b.Loop() {
		t0 := time.Now()
		fd, err := st.Defects(ctx, comm, 1)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		nd, err := st.DefectsNear(ctx, pool, comm, env, 1)
		if err != nil {
			b.Fatal(err)
		}
		full, near = full+t1.Sub(t0), near+time.Since(t1)
		if len(fd) != 0 || len(nd) != 0 {
			b.Fatalf("the benchmark community has defects: %d, %d", len(fd), len(nd))
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(full.Microseconds())/n/1000, "full-ms/op")
	b.ReportMetric(float64(near.Microseconds())/n/1000, "near-ms/op")
	b.ReportMetric(float64(full)/float64(near), "full/near")
}
