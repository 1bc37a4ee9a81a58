package locate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// Hand-made cells in a 4×2 degree playground (coordinates kept small and
// exact so boundary points are exactly representable):
//
//	A = [0,2]×[0,2] minus the hole [0.5,1.5]², E fills that hole,
//	B = [2,4]×[0,1], C = [2,4]×[1,2] (B|C share y=1, A|B and A|C share x=2),
//	M = MultiPolygon of [10,11]² and [12,13]×[10,11],
//	D = triangle (20,0)-(21,1)-(20,1), T = triangle (20,0)-(21,0)-(21,1):
//	    D and T share the diagonal edge (20,0)-(21,1).
func handCells() []Cell {
	return []Cell{
		{"A", orb.MultiPolygon{{square(0, 0, 2, 2), orb.Ring{{0.5, 0.5}, {0.5, 1.5}, {1.5, 1.5}, {1.5, 0.5}, {0.5, 0.5}}}}},
		{"E", orb.MultiPolygon{{square(0.5, 0.5, 1.5, 1.5)}}},
		{"B", orb.MultiPolygon{{square(2, 0, 4, 1)}}},
		{"C", orb.MultiPolygon{{square(2, 1, 4, 2)}}},
		{"M", orb.MultiPolygon{{square(10, 10, 11, 11)}, {square(12, 10, 13, 11)}}},
		{"T", orb.MultiPolygon{{orb.Ring{{20, 0}, {21, 0}, {21, 1}, {20, 0}}}}},
		// D is clockwise and unclosed: orientation and closure must not matter.
		{"D", orb.MultiPolygon{{orb.Ring{{20, 0}, {20, 1}, {21, 1}}}}},
	}
}

func TestLocateHandCells(t *testing.T) {
	idx := New(handCells())
	tests := []struct {
		name string
		p    orb.Point
		want string // "" = not found
	}{
		{"inside A", orb.Point{0.25, 0.25}, "A"},
		{"inside hole -> enclave E", orb.Point{1, 1}, "E"},
		{"on hole ring edge: A and E, min is A", orb.Point{0.5, 1}, "A"},
		{"on hole ring vertex", orb.Point{1.5, 1.5}, "A"},
		{"inside B", orb.Point{3, 0.5}, "B"},
		{"inside C", orb.Point{3, 1.5}, "C"},
		{"shared edge B|C", orb.Point{3, 1}, "B"},
		{"shared edge A|C", orb.Point{2, 1.5}, "A"},
		{"shared vertex A,B,C", orb.Point{2, 1}, "A"},
		{"outer corner of C", orb.Point{4, 2}, "C"},
		{"outer edge of B", orb.Point{4, 0.5}, "B"},
		{"outer edge of A", orb.Point{0, 1}, "A"},
		{"just outside A", orb.Point{math.Nextafter(0, -1), 1}, ""},
		{"multipolygon part 1", orb.Point{10.5, 10.5}, "M"},
		{"multipolygon part 2", orb.Point{12.5, 10.5}, "M"},
		{"between multipolygon parts", orb.Point{11.5, 10.5}, ""},
		{"inside T (below diagonal)", orb.Point{20.75, 0.25}, "T"},
		{"inside D (above diagonal)", orb.Point{20.25, 0.75}, "D"},
		{"on shared diagonal", orb.Point{20.5, 0.5}, "D"},
		{"on shared diagonal endpoint", orb.Point{21, 1}, "D"},
		{"far away", orb.Point{-50, 60}, ""},
		{"NaN", orb.Point{math.NaN(), 1}, ""},
		{"Inf", orb.Point{math.Inf(1), 1}, ""},
	}
	s := idx.Snapshot()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := idx.Locate(tt.p)
			if got != tt.want || ok != (tt.want != "") {
				t.Fatalf("Locate(%v) = %q, %v; want %q", tt.p, got, ok, tt.want)
			}
			// The R-tree-only path applies the same rule.
			if c := s.locateTree(tt.p[0], tt.p[1]); (c == nil && tt.want != "") || (c != nil && c.code != tt.want) {
				t.Fatalf("locateTree(%v) = %v; want %q", tt.p, c, tt.want)
			}
			r := idx.Lookup(tt.p)
			if r.Found != ok || r.Code != got {
				t.Fatalf("Lookup(%v) = %+v, Locate = %q", tt.p, r, got)
			}
		})
	}
}

func TestLookupDistancesHandCells(t *testing.T) {
	idx := New(handCells())
	_, ky := metresPerDegree(0.25)
	kx, _ := metresPerDegree(1)
	kxs, _ := metresPerDegree(0.25)
	tests := []struct {
		name     string
		p        orb.Point
		found    string
		boundary float64 // metres, when found
		nearest  string
		dist     float64 // metres, when not found
	}{
		{"A near bottom edge", orb.Point{0.25, 0.1}, "A", 0.1 * ky, "", 0},
		{"A between outer edge and hole", orb.Point{0.25, 1}, "A", 0.25 * kx, "", 0},
		{"on shared edge", orb.Point{3, 1}, "B", 0, "", 0},
		{"west of A", orb.Point{-0.25, 0.25}, "", 0, "A", 0.25 * kxs},
		{"south of B", orb.Point{3, -0.25}, "", 0, "B", 0.25 * ky},
		{"gap between M parts, tie -> M", orb.Point{11.5, 10.5}, "", 0, "M", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := idx.Lookup(tt.p)
			if tt.found != "" {
				if !r.Found || r.Code != tt.found || math.Abs(r.BoundaryDistanceM-tt.boundary) > 1e-6*tt.boundary+1e-9 {
					t.Fatalf("Lookup(%v) = %+v; want %s at %g m from boundary", tt.p, r, tt.found, tt.boundary)
				}
				return
			}
			if r.Found || r.NearestCode != tt.nearest {
				t.Fatalf("Lookup(%v) = %+v; want nearest %s", tt.p, r, tt.nearest)
			}
			if tt.dist > 0 && math.Abs(r.NearestDistanceM-tt.dist) > 1e-6*tt.dist {
				t.Fatalf("NearestDistanceM = %g, want %g", r.NearestDistanceM, tt.dist)
			}
		})
	}
	// In the gap between M's parts the true distance is 0.5° of longitude at
	// latitude 10.5, not at the hand-table's latitude.
	kx10, _ := metresPerDegree(10.5)
	if r := idx.Lookup(orb.Point{11.5, 10.5}); math.Abs(r.NearestDistanceM-0.5*kx10) > 1e-6 {
		t.Fatalf("gap distance %g, want %g", r.NearestDistanceM, 0.5*kx10)
	}
}

// The local scale matches the published lengths of a degree on the WGS-84
// ellipsoid (e.g. Wikipedia "Latitude", "Longitude") to 0.01%. Over a few
// km the scale itself barely changes (cos(lat) varies ~0.01%/km at 40°N),
// which bounds the equirectangular error at grid scale far below 0.5%.
func TestMetresPerDegreeReference(t *testing.T) {
	tests := []struct{ lat, lon, latDeg float64 }{
		{0, 111320, 110574},
		{15, 107551, 110649},
		{30, 96486, 110852},
		{45, 78847, 111132},
		{60, 55800, 111412},
	}
	for _, tt := range tests {
		kx, ky := metresPerDegree(tt.lat)
		if math.Abs(kx-tt.lon)/tt.lon > 1e-4 || math.Abs(ky-tt.latDeg)/tt.latDeg > 1e-4 {
			t.Errorf("lat %g: kx %g ky %g, want %g %g", tt.lat, kx, ky, tt.lon, tt.latDeg)
		}
	}
	// Unit sanity against the spherical haversine distance (radius
	// 6378137 m): within 0.7%, the sphere's own error.
	p, q := orb.Point{116.3, 39.9}, orb.Point{116.31, 39.905}
	kx, ky := metresPerDegree(p[1])
	ours, hav := math.Hypot(0.01*kx, 0.005*ky), geo.DistanceHaversine(p, q)
	if math.Abs(ours-hav)/hav > 0.007 {
		t.Errorf("ours %g m, haversine %g m", ours, hav)
	}
}

func TestLocateMatchesOracleOnMesh(t *testing.T) {
	m := testMesh()
	idx := New(m.cells)
	s := idx.Snapshot()
	o := newOracle(m.cells)
	rng := rand.New(rand.NewPCG(7, 7))
	const n = 100000
	found := 0
	for range n {
		p := m.randomPoint(rng)
		want, count := o.locate(p)
		if count > 1 {
			t.Fatalf("generated mesh overlaps at %v (%d cells)", p, count)
		}
		got, ok := s.Locate(p)
		if got != want || ok != (want != "") {
			t.Fatalf("Locate(%v) = %q, want %q", p, got, want)
		}
		if c := s.locateTree(p[0], p[1]); (c == nil) != (want == "") || (c != nil && c.code != want) {
			t.Fatalf("locateTree(%v) = %v, want %q", p, c, want)
		}
		if ok {
			found++
		}
	}
	// The sample is 1.1² of the mesh extent, so ~83% of points are inside.
	if found < n*75/100 || found > n*90/100 {
		t.Fatalf("found %d of %d points: mesh extent looks wrong", found, n)
	}
}

// Every mesh vertex lies on 2 (edge) or up to 4 (corner) cells; the answer
// must be the smallest code among them, which planar (boundary = inside)
// also reports.
func TestSharedVerticesAndEdgesOnMesh(t *testing.T) {
	m := testMesh()
	s := New(m.cells).Snapshot()
	o := newOracle(m.cells)
	check := func(p orb.Point, want string) {
		t.Helper()
		if got, _ := s.Locate(p); got != want {
			t.Fatalf("Locate(%v) = %q, want %q", p, got, want)
		}
		if oc, _ := o.locate(p); oc != want {
			t.Fatalf("oracle(%v) = %q, want %q", p, oc, want)
		}
		if r := s.Lookup(p); r.BoundaryDistanceM != 0 {
			t.Fatalf("Lookup(%v).BoundaryDistanceM = %g, want 0", p, r.BoundaryDistanceM)
		}
	}
	for i := 0; i <= m.n; i++ {
		for j := 0; j <= m.n; j++ {
			// Corner (i, j) touches quads (i-1..i, j-1..j); min code is the
			// lowest existing index pair.
			check(m.corner[i][j], quadCode(max(i-1, 0), max(j-1, 0)))
			if i < m.n {
				for _, p := range m.hEdge[i][j][1 : len(m.hEdge[i][j])-1] {
					check(p, quadCode(i, max(j-1, 0)))
				}
			}
			if j < m.n {
				for _, p := range m.vEdge[i][j][1 : len(m.vEdge[i][j])-1] {
					check(p, quadCode(max(i-1, 0), j))
				}
			}
		}
	}
	// Hole rings: the quad (G…) and its enclave (H…) both contain the
	// vertices; G < H. (planar puts hole boundaries outside, so no oracle.)
	for code, h := range m.holeRing {
		for k := range h[:len(h)-1] {
			if got, _ := s.Locate(h[k]); got != code {
				t.Fatalf("hole vertex %v of %s: got %q", h[k], code, got)
			}
			mid := orb.Point{(h[k][0] + h[k+1][0]) / 2, (h[k][1] + h[k+1][1]) / 2}
			got, _ := s.Locate(mid)
			if got != code && got != m.holeOf[code] {
				t.Fatalf("near hole edge %v of %s: got %q", mid, code, got)
			}
		}
	}
}

func TestBoundaryAndNearestDistanceOnMesh(t *testing.T) {
	m := testMesh()
	s := New(m.cells).Snapshot()
	byCode := map[string]Cell{}
	for _, c := range m.cells {
		byCode[c.Code] = c
	}
	rng := rand.New(rand.NewPCG(3, 4))
	outside := 0
	for range 3000 {
		p := m.randomPoint(rng)
		r := s.Lookup(p)
		kx, ky := metresPerDegree(p[1])
		scaled := func(g orb.MultiPolygon) orb.MultiPolygon {
			out := g.Clone()
			for _, poly := range out {
				for _, ring := range poly {
					for k := range ring {
						ring[k] = orb.Point{(ring[k][0] - p[0]) * kx, (ring[k][1] - p[1]) * ky}
					}
				}
			}
			return out
		}
		if r.Found {
			want := planar.DistanceFrom(scaled(byCode[r.Code].Geometry), orb.Point{})
			if math.Abs(r.BoundaryDistanceM-want) > 1e-6 {
				t.Fatalf("BoundaryDistanceM(%v) = %g, brute force %g", p, r.BoundaryDistanceM, want)
			}
			continue
		}
		outside++
		best, bestCode := math.Inf(1), ""
		for _, c := range m.cells {
			if d := planar.DistanceFrom(scaled(c.Geometry), orb.Point{}); d < best || (d == best && c.Code < bestCode) {
				best, bestCode = d, c.Code
			}
		}
		if r.NearestCode != bestCode || math.Abs(r.NearestDistanceM-best) > 1e-6 {
			t.Fatalf("Lookup(%v) nearest %s %g m, brute force %s %g m", p, r.NearestCode, r.NearestDistanceM, bestCode, best)
		}
	}
	if outside < 100 {
		t.Fatalf("only %d outside points sampled", outside)
	}
}

func TestUpsertDeleteVisibility(t *testing.T) {
	idx := New(handCells())
	before := idx.Snapshot()
	in := orb.Point{3, 0.5}

	// Replace B by a shrunken B: the old snapshot is unchanged.
	idx.Upsert(Cell{"B", orb.MultiPolygon{{square(3.5, 0, 4, 1)}}})
	if got, ok := idx.Locate(in); ok {
		t.Fatalf("after shrinking B, Locate(%v) = %q", in, got)
	}
	if got, _ := before.Locate(in); got != "B" {
		t.Fatalf("old snapshot changed: %q", got)
	}
	// A new cell takes the freed area.
	idx.Upsert(Cell{"Z", orb.MultiPolygon{{square(2, 0, 3.5, 1)}}})
	if got, _ := idx.Locate(in); got != "Z" {
		t.Fatalf("new cell Z not visible: %q", got)
	}
	if got, _ := idx.Locate(orb.Point{3.5, 0.5}); got != "B" {
		t.Fatalf("shared edge B|Z = %q, want B", got)
	}
	// A cell far outside the original extent (served by the R-tree).
	idx.Upsert(Cell{"F", orb.MultiPolygon{{square(100, 50, 101, 51)}}})
	if got, _ := idx.Locate(orb.Point{100.5, 50.5}); got != "F" {
		t.Fatalf("far cell F: %q", got)
	}
	// Duplicates in one call: the last wins.
	idx.Upsert(Cell{"Q", orb.MultiPolygon{{square(50, 0, 51, 1)}}}, Cell{"Q", orb.MultiPolygon{{square(60, 0, 61, 1)}}})
	if _, ok := idx.Locate(orb.Point{50.5, 0.5}); ok {
		t.Fatal("first duplicate Q still visible")
	}
	if got, _ := idx.Locate(orb.Point{60.5, 0.5}); got != "Q" {
		t.Fatalf("last duplicate Q: %q", got)
	}
	idx.Delete("Z", "nonexistent", "E")
	if _, ok := idx.Locate(in); ok {
		t.Fatal("deleted Z still visible")
	}
	if _, ok := idx.Locate(orb.Point{1, 1}); ok {
		t.Fatal("deleted enclave E still visible (the hole must stay a hole)")
	}
	want := []string{"A", "B", "C", "D", "F", "M", "Q", "T"}
	if got := idx.Codes(); !slices.Equal(got, want) || idx.Len() != len(want) {
		t.Fatalf("Codes = %v (Len %d), want %v", got, idx.Len(), want)
	}
	if c, ok := idx.Snapshot().Cell("F"); !ok || c.Geometry.Bound().Min != (orb.Point{100, 50}) {
		t.Fatalf("Cell(F) = %v, %v", c, ok)
	}
	if _, ok := idx.Snapshot().Cell("Z"); ok {
		t.Fatal("Cell(Z) found after delete")
	}
	idx.Delete(idx.Codes()...)
	if idx.Len() != 0 {
		t.Fatalf("Len after deleting all = %d", idx.Len())
	}
	if _, ok := idx.Locate(orb.Point{0.25, 0.25}); ok {
		t.Fatal("empty index located a point")
	}
	if r := idx.Lookup(orb.Point{0.25, 0.25}); r != (Result{}) {
		t.Fatalf("empty index Lookup = %+v", r)
	}
	idx.Upsert(handCells()...)
	if got, _ := idx.Locate(orb.Point{1, 1}); got != "E" {
		t.Fatalf("re-filled index: %q", got)
	}
}

func TestEmptyAndDegenerateCells(t *testing.T) {
	idx := New([]Cell{
		{"empty", nil},
		{"line", orb.MultiPolygon{{orb.Ring{{0, 0}, {1, 1}, {0, 0}}}}},
		{"nan", orb.MultiPolygon{{orb.Ring{{0, 0}, {math.NaN(), 1}, {1, 1}, {0, 0}}}}},
		{"ok", orb.MultiPolygon{{square(5, 5, 6, 6)}}},
	})
	if idx.Len() != 4 {
		t.Fatalf("Len = %d, want 4", idx.Len())
	}
	if got, _ := idx.Locate(orb.Point{0.5, 0.5}); got != "" {
		t.Fatalf("degenerate cell matched: %q", got)
	}
	if r := idx.Lookup(orb.Point{0.5, 0.5}); r.NearestCode != "ok" {
		t.Fatalf("nearest = %+v, want ok", r)
	}
	if got := New(nil); got.Len() != 0 || got.Snapshot().grid != nil {
		t.Fatal("New(nil) not empty")
	}
	var zero Index
	if _, ok := zero.Locate(orb.Point{5.5, 5.5}); ok || zero.Len() != 0 || zero.Lookup(orb.Point{1, 1}) != (Result{}) {
		t.Fatal("zero Index not empty")
	}
	zero.Upsert(Cell{"ok", orb.MultiPolygon{{square(5, 5, 6, 6)}}})
	if got, _ := zero.Locate(orb.Point{5.5, 5.5}); got != "ok" {
		t.Fatalf("zero Index after Upsert: %q", got)
	}
}

// After a long series of incremental updates the index answers exactly like
// one built from scratch over the same cells (and like the oracle).
func TestIncrementalMatchesRebuild(t *testing.T) {
	m := newMesh(30, 5)
	idx := New(m.cells)
	rng := rand.New(rand.NewPCG(11, 12))
	cur := map[string]Cell{}
	for _, c := range m.cells {
		cur[c.Code] = c
	}
	for step := range 300 {
		c := m.cells[rng.IntN(len(m.cells))]
		switch step % 3 {
		case 0:
			idx.Delete(c.Code)
			delete(cur, c.Code)
		case 1:
			idx.Upsert(c)
			cur[c.Code] = c
		case 2: // move a cell's geometry under a new code
			moved := Cell{Code: "X" + c.Code, Geometry: c.Geometry}
			idx.Upsert(moved)
			cur[moved.Code] = moved
		}
	}
	var cells []Cell
	for _, c := range cur {
		cells = append(cells, c)
	}
	fresh := New(cells).Snapshot()
	s := idx.Snapshot()
	o := newOracle(cells)
	if !slices.Equal(s.Codes(), fresh.Codes()) {
		t.Fatal("codes differ from rebuild")
	}
	for range 30000 {
		p := m.randomPoint(rng)
		a, _ := s.Locate(p)
		b, _ := fresh.Locate(p)
		want, _ := o.locate(p)
		if a != b || a != want {
			t.Fatalf("Locate(%v): incremental %q, rebuilt %q, oracle %q", p, a, b, want)
		}
	}
}

func TestLocateDoesNotAllocate(t *testing.T) {
	m := testMesh()
	s := New(m.cells).Snapshot()
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]orb.Point, 1000)
	for i := range pts {
		pts[i] = m.randomPoint(rng)
	}
	i := 0
	if a := testing.AllocsPerRun(5000, func() { s.Locate(pts[i%len(pts)]); i++ }); a != 0 {
		t.Fatalf("Locate allocates %g per call", a)
	}
	if a := testing.AllocsPerRun(5000, func() { s.locateTree(pts[i%len(pts)][0], pts[i%len(pts)][1]); i++ }); a != 0 {
		t.Fatalf("locateTree allocates %g per call", a)
	}
}

// The grid's per-row edge bands answer exactly like the full ring test, on
// random points and on every mesh vertex (boundary cases).
func TestBandContainsMatchesContains(t *testing.T) {
	m := testMesh()
	s := New(m.cells).Snapshot()
	g := s.grid
	rng := rand.New(rand.NewPCG(21, 22))
	pts := make([]orb.Point, 0, 60000)
	for range 50000 {
		pts = append(pts, m.randomPoint(rng))
	}
	for i := 0; i <= m.n; i += 3 {
		for j := 0; j <= m.n; j++ {
			pts = append(pts, m.corner[i][j])
			if i < m.n {
				pts = append(pts, m.hEdge[i][j]...)
			}
		}
	}
	for _, h := range m.holeRing {
		pts = append(pts, h...)
	}
	compared := 0
	for _, p := range pts {
		if !g.covers(p[0], p[1]) {
			continue
		}
		b := g.rows[g.row(p[1])][g.col(p[0])]
		for _, e := range b.list {
			if e.inside {
				if !e.c.contains(p[0], p[1]) {
					t.Fatalf("%v: bucket marked inside %s but point is not", p, e.c.code)
				}
				continue
			}
			compared++
			if got, want := bandContains(e.band, p[0], p[1]), e.c.contains(p[0], p[1]); got != want {
				t.Fatalf("%v in %s: bandContains %v, contains %v", p, e.c.code, got, want)
			}
		}
	}
	if compared < 50000 {
		t.Fatalf("only %d band comparisons", compared)
	}
}
