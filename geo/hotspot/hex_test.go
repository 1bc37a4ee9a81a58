package hotspot

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func TestHexCellAtIsNearestCentre(t *testing.T) {
	g := NewHexGrid(150, 116.4, 39.9)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		p := Point{rng.Float64()*20000 - 10000, rng.Float64()*20000 - 10000}
		c := g.CellAt(p)
		ctr := g.Centre(c)
		d := math.Hypot(p.X-ctr.X, p.Y-ctr.Y)
		// The containing hexagon's centre is the nearest centre of all: check the six neighbours.
		for _, o := range [][2]int32{{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, -1}, {-1, 1}} {
			n := g.Centre(Cell{c.Q + o[0], c.R + o[1]})
			if dn := math.Hypot(p.X-n.X, p.Y-n.Y); dn < d-1e-9 {
				t.Fatalf("%v in %v (%.3f m) but neighbour %v is nearer (%.3f m)", p, c, d, o, dn)
			}
			if s := math.Hypot(n.X-ctr.X, n.Y-ctr.Y); math.Abs(s-g.Spacing()) > 1e-9 {
				t.Fatalf("neighbour spacing %v, want %v", s, g.Spacing())
			}
		}
		if d > g.Size+1e-9 {
			t.Fatalf("%v is %.3f m from its cell's centre, more than the size", p, d)
		}
	}
}

func TestHexPolygonAndArea(t *testing.T) {
	g := NewHexGrid(200, 120, 30)
	c := Cell{3, -5}
	poly := g.Polygon(c)
	if len(poly[0]) != 7 || poly[0][0] != poly[0][6] {
		t.Fatalf("ring %v", poly[0])
	}
	// Area back in metres on the same projection.
	m := make(orb.Ring, len(poly[0]))
	for i, p := range poly[0] {
		q := g.Project(p[0], p[1])
		m[i] = orb.Point{q.X, q.Y}
	}
	if a := planar.Area(orb.Polygon{m}); math.Abs(a-g.Area()) > 1e-6*g.Area() {
		t.Errorf("area %v, want %v", a, g.Area())
	}
	if planar.Area(orb.Polygon{m}) < 0 && planar.Area(poly) < 0 {
		t.Error("ring is clockwise")
	}
	// A flat top: two corners share the greatest y.
	ctr := g.Unproject(g.Centre(c))
	if !planar.RingContains(poly[0], ctr) {
		t.Error("polygon does not contain its centre")
	}
	if math.Abs(poly[0][1][1]-poly[0][2][1]) > 1e-12 {
		t.Errorf("corners 1 and 2 not level: %v %v", poly[0][1], poly[0][2])
	}
}

func TestHexCoveringAndCount(t *testing.T) {
	g := NewHexGrid(100, 113.0, 23.0)
	b := orb.Bound{Min: orb.Point{113.0, 23.0}, Max: orb.Point{113.02, 23.02}}
	cells := g.Covering(b)
	seen := map[Cell]bool{}
	for _, c := range cells {
		seen[c] = true
		p := g.Unproject(g.Centre(c))
		if !b.Contains(p) {
			t.Fatalf("cell %v centre %v outside %v", c, p, b)
		}
	}
	// Every point whose cell centre lies inside the bound is in the covering.
	rng := rand.New(rand.NewPCG(5, 5))
	lons, lats := make([]float64, 5000), make([]float64, 5000)
	for i := range lons {
		lons[i], lats[i] = 113+rng.Float64()*0.02, 23+rng.Float64()*0.02
		c := g.CellAt(g.Project(lons[i], lats[i]))
		if b.Contains(g.Unproject(g.Centre(c))) && !seen[c] {
			t.Fatalf("cell %v of a point is missing from the covering", c)
		}
	}
	total := 0
	for _, n := range g.Count(lons, lats) {
		total += n
	}
	if total != 5000 {
		t.Errorf("counted %d of 5000", total)
	}
	// About area/hexagon-area cells (edges trim a few).
	want := 0.02 * 0.02 * g.kx * g.ky / g.Area()
	if n := float64(len(cells)); math.Abs(n-want) > 0.1*want {
		t.Errorf("%v cells, want about %v", n, want)
	}
}
