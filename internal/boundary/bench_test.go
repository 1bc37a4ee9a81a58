package boundary_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/geo/coverage"
	"wangge/internal/boundary"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// family is one parent with its children, as both validators see it.
type family struct {
	code    string
	parent  orb.Geometry
	codes   []string
	members []orb.Geometry
}

var (
	benchMu  sync.Mutex
	benchDBs = map[int]*pgxpool.Pool{}
)

// benchDistrict loads a demo district of about n grids once per process
// (it is dropped when the process ends with the test server's cleanup of
// the first benchmark that asked for it, so sizes are loaded in order).
func benchDistrict(b *testing.B, n int) *pgxpool.Pool {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if p, ok := benchDBs[n]; ok {
		return p
	}
	start := time.Now()
	pool, _ := dbtest.Demo(keepTB{b}, demo.Options{Grids: n, PatrolDays: 1, IncidentDays: 7})
	b.Logf("demo district of ~%d grids loaded in %s", n, time.Since(start).Round(time.Second))
	benchDBs[n] = pool
	return pool
}

// keepTB keeps a benchmark database for the whole run: its cleanup (the
// drop) runs in TestMain after every test and benchmark.
type keepTB struct{ testing.TB }

var (
	laterMu sync.Mutex
	later   []func()
)

func (keepTB) Cleanup(f func()) {
	laterMu.Lock()
	later = append(later, f)
	laterMu.Unlock()
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, f := range later {
		f()
	}
	os.Exit(code)
}

func families(b *testing.B, pool *pgxpool.Pool) ([]family, int) {
	b.Helper()
	rows, err := pool.Query(context.Background(), `SELECT p.code, ST_AsBinary(p.geom), array_agg(c.code ORDER BY c.code), array_agg(ST_AsBinary(c.geom) ORDER BY c.code)
        FROM units p JOIN units c ON c.parent_code = p.code GROUP BY p.code, p.geom ORDER BY p.code`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var out []family
	grids := 0
	for rows.Next() {
		var f family
		var pb []byte
		var cbs [][]byte
		if err := rows.Scan(&f.code, &pb, &f.codes, &cbs); err != nil {
			b.Fatal(err)
		}
		f.parent, _ = wkb.Unmarshal(pb)
		for _, c := range cbs {
			g, _ := wkb.Unmarshal(c)
			f.members = append(f.members, g)
		}
		if len(f.codes[0]) == 15 {
			grids += len(f.codes)
		}
		out = append(out, f)
	}
	return out, grids
}

// BenchmarkFullValidation validates the whole hierarchy (every parent
// against its children) with geo/coverage and with the SQL validator
// (coverage_defects) on the same district, reporting both and the ratio.
func BenchmarkFullValidation(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("grids=%d", n), func(b *testing.B) {
			pool := benchDistrict(b, n)
			fams, grids := families(b, pool)
			ctx := context.Background()
			var goT, sqlT time.Duration
			defects := 0
			for b.Loop() {
				t0 := time.Now()
				for _, f := range fams {
					defects += len(coverage.Validate(f.members, f.parent, coverage.Options{}).Defects)
				}
				t1 := time.Now()
				var k int
				if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_defects(NULL, 1.0)`).Scan(&k); err != nil {
					b.Fatal(err)
				}
				goT += t1.Sub(t0)
				sqlT += time.Since(t1)
			}
			b.ReportMetric(float64(grids), "grids")
			b.ReportMetric(float64(goT.Milliseconds())/float64(b.N), "go-ms/op")
			b.ReportMetric(float64(sqlT.Milliseconds())/float64(b.N), "sql-ms/op")
			b.ReportMetric(float64(sqlT)/float64(goT), "sql/go")
		})
	}
}

// BenchmarkIncrementalValidation edits one grid among ~10,000 (a shared
// vertex moved) and revalidates: geo/coverage's Validator.Revalidate over
// the whole set of grids against the SQL validator run on the edited grid's
// community.
func BenchmarkIncrementalValidation(b *testing.B) {
	pool := benchDistrict(b, 10000)
	fams, _ := families(b, pool)
	var all []orb.Geometry
	var codes []string
	var gs []grid
	for _, f := range fams {
		if len(f.codes[0]) == 15 {
			all = append(all, f.members...)
			codes = append(codes, f.codes...)
		}
	}
	for i, c := range codes {
		gs = append(gs, grid{code: c, geom: all[i].(orb.MultiPolygon)})
	}
	var comm family
	for i := len(fams) / 2; i < len(fams)+len(fams)/2; i++ {
		if f := fams[i%len(fams)]; len(f.codes[0]) == 15 && len(f.codes) > 3 {
			comm = f
			break
		}
	}
	var local []grid
	idx := -1
	for i, c := range codes {
		if c[:12] == comm.code {
			local = append(local, gs[i])
			if idx < 0 {
				idx = i
			}
		}
	}
	_, nb, v := neighbours(&testing.T{}, local)
	var a grid
	for _, g := range local {
		if p, ok := sharedVertex(g.geom, nb.geom, local); ok && p == v && g.code != nb.code {
			a = g
		}
	}
	for i, c := range codes {
		if c == a.code {
			idx = i
		}
	}
	moved := moveVertex(a.geom, v, toward(v, centroid(nb.geom), 5))
	start := time.Now()
	val := coverage.NewValidator(all, nil, coverage.Options{})
	b.Logf("NewValidator over %d grids: %s", len(all), time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	var goT, sqlT time.Duration
	flip := false
	for b.Loop() {
		g := orb.Geometry(moved)
		if flip {
			g = a.geom
		}
		flip = !flip
		t0 := time.Now()
		val.Update(idx, g)
		val.Revalidate([]int{idx})
		t1 := time.Now()
		var k int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_defects($1, 1.0)`, comm.code).Scan(&k); err != nil {
			b.Fatal(err)
		}
		goT += t1.Sub(t0)
		sqlT += time.Since(t1)
	}
	b.ReportMetric(float64(len(all)), "grids")
	b.ReportMetric(float64(goT.Microseconds())/float64(b.N)/1000, "go-ms/op")
	b.ReportMetric(float64(sqlT.Microseconds())/float64(b.N)/1000, "sql-ms/op")
	b.ReportMetric(float64(sqlT)/float64(goT), "sql/go")
}

// BenchmarkAdjustEdit moves a shared vertex of one grid in adjust mode
// through the boundary service (snapping, face arrangement, neighbours,
// invalid-edge check, writes, re-assignment, audit, commit) and back, in a
// district of ~10,000 grids.
func BenchmarkAdjustEdit(b *testing.B) {
	pool := benchDistrict(b, 10000)
	ctx := context.Background()
	var comm string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 3 ORDER BY code OFFSET 40 LIMIT 1`).Scan(&comm); err != nil {
		b.Fatal(err)
	}
	svc := boundary.New(store.New(pool), boundary.Options{})
	gs := loadGrids(b, pool, comm)
	a, nb, v := neighbours(&testing.T{}, gs)
	moved := moveVertex(a.geom, v, toward(v, centroid(nb.geom), 5))
	flip := false
	for b.Loop() {
		var version int
		pool.QueryRow(ctx, `SELECT version FROM units WHERE code = $1`, a.code).Scan(&version)
		g := moved
		if flip {
			g = a.geom
		}
		flip = !flip
		if _, err := svc.Replace(ctx, a.code, g, version, req(boundary.Adjust)); err != nil {
			b.Fatal(err)
		}
	}
}
