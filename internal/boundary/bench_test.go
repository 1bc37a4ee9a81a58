package boundary_test

import (
	"context"
	"fmt"
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
	wgrid "wangge/internal/grid"
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

// benchDistrict returns a district of about n grids, loaded once per
// process: the demo district of 1,000 grids (with its buildings, households
// and incidents), and for larger n that district plus copies of its units
// (n/1,000 − 1 more districts side by side, units only), because loading a
// 10,000-grid demo with all its people takes longer than a test may wait.
func benchDistrict(b *testing.B, n int) *pgxpool.Pool {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	if p, ok := benchDBs[n]; ok {
		return p
	}
	start := time.Now()
	pool, _ := dbtest.Demo(dbtest.Keep(b), demo.Options{Grids: 1000, PatrolDays: 1, IncidentDays: 7})
	if copies := n/1000 - 1; copies > 0 {
		_, err := pool.Exec(context.Background(), `
WITH w AS (SELECT ST_XMax(geom) - ST_XMin(geom) + 0.01 AS dx FROM units WHERE level = 1 AND region_code = '330199')
INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
SELECT (330199 - k)::text || substr(u.code, 7),
       CASE WHEN u.parent_code IS NULL THEN NULL ELSE (330199 - k)::text || substr(u.parent_code, 7) END,
       u.level, u.name, u.kind, (330199 - k)::text, ST_Translate(u.geom, w.dx * k, 0)
FROM units u, w, generate_series(1, $1) AS k WHERE u.region_code = '330199'`, copies)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(context.Background(), `ANALYZE units`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("district of ~%d grids ready in %s", n, time.Since(start).Round(time.Second))
	benchDBs[n] = pool
	return pool
}

// TestMain drops the benchmark databases when the run ends.
func TestMain(m *testing.M) { dbtest.Main(m) }

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

// BenchmarkCommunityValidation edits one grid among ~10,000 (a shared
// vertex moved) and validates what the server validates after an edit: the
// edited grid's community, with geo/coverage (the defects layer) and with
// the SQL validator (grid.Commit's re-check).
// communityEdit is a grid of a community from the middle of the list (a
// copy, far from the first) with one of its vertices moved 5 m towards a
// neighbour: the family, the grid's index in it, the grid and the moved shape.
func communityEdit(b *testing.B, fams []family) (family, int, grid, orb.MultiPolygon) {
	var comm family
	var a, nb grid
	var v orb.Point
	idx := -1
	for i := len(fams) / 2; i < len(fams)+len(fams)/2 && idx < 0; i++ {
		f := fams[i%len(fams)]
		if len(f.codes[0]) != 15 {
			continue
		}
		var local []grid
		for k, m := range f.members {
			local = append(local, grid{code: f.codes[k], kind: "basic", geom: m.(orb.MultiPolygon)})
		}
		var ok bool
		if a, nb, v, ok = findNeighbours(local); ok {
			comm = f
			for k, c := range f.codes {
				if c == a.code {
					idx = k
				}
			}
		}
	}
	if idx < 0 {
		b.Fatal("no community with two neighbouring grids")
	}
	return comm, idx, a, moveVertex(a.geom, v, toward(v, centroid(nb.geom), 5))
}

func BenchmarkCommunityValidation(b *testing.B) {
	pool := benchDistrict(b, 10000)
	fams, _ := families(b, pool)
	comm, idx, a, moved := communityEdit(b, fams)
	members := append([]orb.Geometry(nil), comm.members...)
	ctx := context.Background()
	var goT, sqlT time.Duration
	flip := false
	for b.Loop() {
		members[idx] = orb.Geometry(moved)
		if flip {
			members[idx] = a.geom
		}
		flip = !flip
		t0 := time.Now()
		coverage.Validate(members, comm.parent, coverage.Options{})
		t1 := time.Now()
		var k int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM coverage_defects($1, 1.0)`, comm.code).Scan(&k); err != nil {
			b.Fatal(err)
		}
		goT += t1.Sub(t0)
		sqlT += time.Since(t1)
	}
	b.ReportMetric(float64(len(members)), "grids")
	b.ReportMetric(float64(goT.Microseconds())/float64(b.N)/1000, "go-ms/op")
	b.ReportMetric(float64(sqlT.Microseconds())/float64(b.N)/1000, "sql-ms/op")
	b.ReportMetric(float64(sqlT)/float64(goT), "sql/go")
}

// BenchmarkLiveCheck is the planner's live check of a dragged vertex
// (boundary.Preview over the community as the map holds it: snapping and
// geo/coverage, no database) against what the page would send without it,
// the strict dry run of the same shape (the edit's transaction with its
// PostGIS overlay, rolled back), alternately in one run on ~10,000 grids.
func BenchmarkLiveCheck(b *testing.B) {
	pool := benchDistrict(b, 10000)
	fams, _ := families(b, pool)
	comm, _, a, moved := communityEdit(b, fams)
	svc := boundary.New(store.New(pool), boundary.Options{})
	around := wgrid.Community{Code: comm.code, Geom: comm.parent, Codes: comm.codes, Members: comm.members}
	ctx := context.Background()
	var version int
	if err := pool.QueryRow(ctx, `SELECT version FROM units WHERE code = $1`, a.code).Scan(&version); err != nil {
		b.Fatal(err)
	}
	dry := req(boundary.Strict)
	dry.DryRun = true
	var liveT, dryT time.Duration
	for b.Loop() {
		t0 := time.Now()
		ds, err := svc.Preview(ctx, a.code, moved, around)
		if err != nil || len(ds) == 0 {
			b.Fatalf("live check: %v, %d defects", err, len(ds))
		}
		t1 := time.Now()
		if _, err := svc.Replace(ctx, a.code, moved, version, dry); err == nil {
			b.Fatal("the strict dry run accepted an overlap")
		}
		liveT += t1.Sub(t0)
		dryT += time.Since(t1)
	}
	b.ReportMetric(float64(len(comm.members)), "grids")
	b.ReportMetric(float64(liveT.Microseconds())/float64(b.N)/1000, "live-ms/op")
	b.ReportMetric(float64(dryT.Microseconds())/float64(b.N)/1000, "dryrun-ms/op")
	b.ReportMetric(float64(dryT)/float64(liveT), "dryrun/live")
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
	a, nb, v := neighbours(b, gs)
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
