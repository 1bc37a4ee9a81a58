package boundary_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/geo/precision"
	"wangge/internal/apperr"
	"wangge/internal/boundary"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

type grid struct {
	code, parent, kind string
	version            int
	geom               orb.MultiPolygon
}

func loadGrids(t testing.TB, pool *pgxpool.Pool, parent string) []grid {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code, parent_code, kind, version, ST_AsBinary(geom) FROM units
        WHERE level = 4 AND parent_code = $1 ORDER BY code`, parent)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []grid
	for rows.Next() {
		var g grid
		var b []byte
		if err := rows.Scan(&g.code, &g.parent, &g.kind, &g.version, &b); err != nil {
			t.Fatal(err)
		}
		x, err := wkb.Unmarshal(b)
		if err != nil {
			t.Fatal(err)
		}
		g.geom = x.(orb.MultiPolygon)
		out = append(out, g)
	}
	return out
}

func unitGeom(t testing.TB, pool *pgxpool.Pool, code string) orb.MultiPolygon {
	t.Helper()
	var b []byte
	if err := pool.QueryRow(context.Background(), `SELECT ST_AsBinary(geom) FROM units WHERE code = $1`, code).Scan(&b); err != nil {
		t.Fatal(err)
	}
	x, err := wkb.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return x.(orb.MultiPolygon)
}

// sqlDefects counts the SQL validator's defects under root.
func sqlDefects(t testing.TB, pool *pgxpool.Pool, root string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT kind || ' ' || array_to_string(codes, ',') || ' ' || round(size::numeric, 1)
        FROM coverage_defects($1, 1.0)`, root)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// assertPartition checks community's grids with geo/coverage (against the
// community's shape) and with the SQL validator.
func assertPartition(t *testing.T, pool *pgxpool.Pool, community string) {
	t.Helper()
	gs := loadGrids(t, pool, community)
	members := make([]orb.Geometry, len(gs))
	for i, g := range gs {
		members[i] = g.geom
	}
	r := coverage.Validate(members, unitGeom(t, pool, community), coverage.Options{})
	for _, d := range r.Defects {
		if d.Kind == coverage.InvalidEdge || d.Size >= 1 {
			t.Errorf("geo/coverage: %s %v %.2f %s: %s", d.Kind, d.Features, d.Size, d.Unit, d.Message)
		}
	}
	if ds := sqlDefects(t, pool, community); len(ds) > 0 {
		t.Errorf("SQL validator: %v", ds)
	}
}

// sharedVertex finds a vertex of a that b also has, not shared with a third grid.
func sharedVertex(a, b orb.MultiPolygon, others []grid) (orb.Point, bool) {
	in := func(g orb.MultiPolygon, p orb.Point) bool {
		for _, poly := range g {
			for _, r := range poly {
				for _, q := range r {
					if q == p {
						return true
					}
				}
			}
		}
		return false
	}
	for _, r := range a[0] {
		for _, p := range r {
			if !in(b, p) {
				continue
			}
			third := 0
			for _, o := range others {
				if in(o.geom, p) {
					third++
				}
			}
			if third == 2 {
				return p, true
			}
		}
	}
	return orb.Point{}, false
}

func moveVertex(g orb.MultiPolygon, from, to orb.Point) orb.MultiPolygon {
	out := orb.MultiPolygon{}
	for _, p := range g {
		np := orb.Polygon{}
		for _, r := range p {
			nr := orb.Ring{}
			for _, q := range r {
				if q == from {
					q = to
				}
				nr = append(nr, q)
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

func touching(a, b orb.MultiPolygon) bool {
	_, ok := sharedVertex(a, b, []grid{{geom: a}, {geom: b}})
	return ok
}

// neighbours returns two basic grids of one community sharing a vertex that no third grid has.
func neighbours(t testing.TB, gs []grid) (grid, grid, orb.Point) {
	t.Helper()
	a, b, v, ok := findNeighbours(gs)
	if !ok {
		t.Fatal("no two neighbouring grids with a shared two-grid vertex")
	}
	return a, b, v
}

// findNeighbours is neighbours without failing.
func findNeighbours(gs []grid) (grid, grid, orb.Point, bool) {
	for i := range gs {
		for j := range gs {
			if i == j || gs[i].kind != "basic" || gs[j].kind != "basic" || !touching(gs[i].geom, gs[j].geom) {
				continue
			}
			if p, ok := sharedVertex(gs[i].geom, gs[j].geom, gs); ok {
				return gs[i], gs[j], p, true
			}
		}
	}
	return grid{}, grid{}, orb.Point{}, false
}

func centroid(g orb.MultiPolygon) orb.Point {
	b := g.Bound()
	return b.Center()
}

// toward moves p by metres toward q.
func toward(p, q orb.Point, metres float64) orb.Point {
	kx := math.Cos(p[1]*math.Pi/180) * 111320
	dx, dy := (q[0]-p[0])*kx, (q[1]-p[1])*111320
	d := math.Hypot(dx, dy)
	return orb.Point{p[0] + dx/d*metres/kx, p[1] + dy/d*metres/111320}
}

func firstCommunity(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	var c string
	if err := pool.QueryRow(context.Background(), `SELECT code FROM units WHERE level = 3 ORDER BY code LIMIT 1`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

type result struct {
	Code    string
	Changed []struct {
		Code   string
		Before json.RawMessage
		After  json.RawMessage
	}
	Moved  store.Moved
	DryRun bool `json:"dry_run"`
	Gaps   *geojson.FeatureCollection
}

func decode(t *testing.T, b []byte) result {
	t.Helper()
	var r result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return r
}

func req(mode boundary.Mode) boundary.Request {
	return boundary.Request{Mode: mode, Reason: "test", Audit: store.AuditEntry{Username: "tester", Role: "planner"}}
}

func TestAdjustMovesSharedBoundaryAndKeepsPartition(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1})
	st := store.New(pool)
	svc := boundary.New(st, boundary.Options{})
	ctx := context.Background()
	comm := firstCommunity(t, pool)
	assertPartition(t, pool, comm)
	gs := loadGrids(t, pool, comm)
	a, b, v := neighbours(t, gs)
	var target orb.Point
	var edited orb.MultiPolygon
	for _, m := range []float64{40, 25, 15, 8, 4} {
		target = precision.Point(toward(v, centroid(b.geom), m)) // clients send 7 decimals
		if edited = moveVertex(a.geom, v, target); coverage.CheckGeometry(edited) == nil {
			break
		}
	}

	// Strict refuses: the new shape overlaps b and leaves a gap.
	_, err := svc.Replace(ctx, a.code, edited, a.version, req(boundary.Strict))
	var ae *apperr.Error
	if !errors.As(err, &ae) || !errors.Is(err, apperr.ErrTopology) {
		t.Fatalf("strict: %v, want a topology error", err)
	}
	fc := ae.Details.(*geojson.FeatureCollection)
	kinds := map[string]bool{}
	for _, f := range fc.Features {
		kinds[f.Properties["kind"].(string)] = true
		if f.Properties.MustFloat64("size") < 1 {
			t.Errorf("defect %v smaller than the tolerance", f.Properties)
		}
	}
	if !kinds["overlap"] {
		t.Errorf("strict defects %v lack the overlap", kinds)
	}
	if got := loadGrids(t, pool, comm); got[0].version != gs[0].version || !orb.Equal(unitGeom(t, pool, a.code), a.geom) {
		t.Fatal("strict refusal changed the grid")
	}

	// Dry run answers but changes nothing.
	out, err := svc.Replace(ctx, a.code, edited, a.version, func() boundary.Request { r := req(boundary.Adjust); r.DryRun = true; return r }())
	if err != nil {
		t.Fatal(err)
	}
	if r := decode(t, out); !r.DryRun || len(r.Changed) < 2 {
		t.Fatalf("dry run %s", out)
	}
	if !orb.Equal(unitGeom(t, pool, a.code), a.geom) {
		t.Fatal("dry run changed the grid")
	}

	// Adjust: a takes the area from b; the partition stays valid.
	out, err = svc.Replace(ctx, a.code, edited, a.version, req(boundary.Adjust))
	if err != nil {
		t.Fatal(err)
	}
	r := decode(t, out)
	codes := map[string]bool{}
	for _, c := range r.Changed {
		codes[c.Code] = true
	}
	if !codes[a.code] || !codes[b.code] {
		t.Fatalf("changed %v, want %s and %s", codes, a.code, b.code)
	}
	assertPartition(t, pool, comm)
	// The moved vertex is now shared by both (exact shared boundary).
	if !touching(unitGeom(t, pool, a.code), unitGeom(t, pool, b.code)) {
		t.Error("a and b no longer share vertices")
	}
	var hasTarget bool
	for _, q := range unitGeom(t, pool, b.code)[0][0] {
		hasTarget = hasTarget || q == target
	}
	if !hasTarget {
		t.Error("b lacks the moved vertex")
	}
	// History: unit_versions has the old version with who and why.
	var who, why string
	if err := pool.QueryRow(ctx, `SELECT changed_by, reason FROM unit_versions WHERE code = $1 AND version = $2`, a.code, a.version+1).Scan(&who, &why); err != nil || who != "tester" || why != "test" {
		t.Errorf("version %d: %q %q %v", a.version+1, who, why, err)
	}
	var audits int
	pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'grid.replace'`).Scan(&audits)
	if audits != len(r.Changed) {
		t.Errorf("%d audit entries for %d changes", audits, len(r.Changed))
	}
	// Stale version: 409.
	if _, err := svc.Replace(ctx, a.code, a.geom, a.version, req(boundary.Adjust)); !errors.Is(err, apperr.ErrConflict) {
		t.Errorf("stale version: %v", err)
	}
	// Buildings are where their point is.
	var wrong int
	pool.QueryRow(ctx, `SELECT count(*) FROM buildings b JOIN units u ON u.code = b.grid_code WHERE NOT ST_Intersects(u.geom, b.pt)`).Scan(&wrong)
	if wrong != 0 {
		t.Errorf("%d buildings outside their grid", wrong)
	}

	// gaps=report: a pulls the vertex back into itself; the area it releases is
	// left uncovered and reported, and the SQL validator sees the same gap.
	var ver int
	pool.QueryRow(ctx, `SELECT version FROM units WHERE code = $1`, a.code).Scan(&ver)
	cur := unitGeom(t, pool, a.code)
	var back orb.MultiPolygon
	for _, m := range []float64{20, 10, 5} {
		if back = moveVertex(cur, target, toward(target, centroid(a.geom), m)); coverage.CheckGeometry(back) == nil {
			break
		}
	}
	rr := req(boundary.Adjust)
	rr.ReportGaps = true
	out, err = svc.Replace(ctx, a.code, back, ver, rr)
	if err != nil {
		t.Fatal(err)
	}
	r = decode(t, out)
	if r.Gaps == nil || len(r.Gaps.Features) == 0 || r.Gaps.Features[0].Properties["kind"] != "gap" {
		t.Fatalf("gaps=report answered %s", out)
	}
	reported := r.Gaps.Features[0].Properties.MustFloat64("size")
	ds, err := st.Defects(ctx, comm, 1)
	if err != nil || len(ds) != 1 || ds[0].Kind != "gap" || math.Abs(ds[0].Size-reported) > 0.01*reported {
		t.Errorf("SQL validator after gaps=report: %+v %v, want the reported gap of %.1f m²", ds, err, reported)
	}
}
