package locate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// mesh is a generated partition: n×n jittered quads with shared, jittered
// edge polylines (≈20–60 vertices per cell), plus enclave cells filling
// holes cut into some quads (enclaves are paired into MultiPolygons).
type mesh struct {
	n              int
	corner         [][]orb.Point     // corner[i][j], i along x, j along y
	hEdge, vEdge   [][][]orb.Point   // hEdge[i][j]: corner[i][j]→corner[i+1][j]; vEdge[i][j]: corner[i][j]→corner[i][j+1]
	cells          []Cell            // quads first, then enclaves
	holeOf         map[string]string // quad code -> enclave code
	holeRing       map[string]orb.Ring
	minX, minY, dx float64
	dy             float64
}

func quadCode(i, j int) string { return fmt.Sprintf("G%03d%03d", i, j) }

// newMesh generates the partition deterministically from seed.
func newMesh(n int, seed uint64) *mesh {
	rng := rand.New(rand.NewPCG(seed, 42))
	m := &mesh{n: n, minX: 116.0, minY: 39.5, dx: 0.005, dy: 0.004, holeOf: map[string]string{}, holeRing: map[string]orb.Ring{}}
	m.corner = make([][]orb.Point, n+1)
	for i := range m.corner {
		m.corner[i] = make([]orb.Point, n+1)
		for j := range m.corner[i] {
			p := orb.Point{m.minX + float64(i)*m.dx, m.minY + float64(j)*m.dy}
			if i > 0 && i < n && j > 0 && j < n {
				p[0] += (rng.Float64() - 0.5) * 0.3 * m.dx
				p[1] += (rng.Float64() - 0.5) * 0.3 * m.dy
			}
			m.corner[i][j] = p
		}
	}
	edge := func(a, b orb.Point, straight bool) []orb.Point {
		k := 4 + rng.IntN(10)
		nx, ny := -(b[1] - a[1]), b[0]-a[0] // perpendicular, |n| = |b-a|
		pts := []orb.Point{a}
		for s := 1; s <= k; s++ {
			t := float64(s) / float64(k+1)
			off := 0.0
			if !straight {
				// Tent-shaped amplitude: small near the corners, so edges
				// meeting at a corner cannot cross.
				off = (rng.Float64()*2 - 1) * 0.25 * math.Min(t, 1-t)
			}
			pts = append(pts, orb.Point{a[0] + t*(b[0]-a[0]) + off*nx, a[1] + t*(b[1]-a[1]) + off*ny})
		}
		return append(pts, b)
	}
	m.hEdge = make([][][]orb.Point, n)
	for i := range n {
		m.hEdge[i] = make([][]orb.Point, n+1)
		for j := 0; j <= n; j++ {
			m.hEdge[i][j] = edge(m.corner[i][j], m.corner[i+1][j], j == 0 || j == n)
		}
	}
	m.vEdge = make([][][]orb.Point, n+1)
	for i := 0; i <= n; i++ {
		m.vEdge[i] = make([][]orb.Point, n)
		for j := range n {
			m.vEdge[i][j] = edge(m.corner[i][j], m.corner[i][j+1], i == 0 || i == n)
		}
	}
	enclaves := map[string]orb.MultiPolygon{}
	var enclaveOrder []string
	for i := range n {
		for j := range n {
			// Counter-clockwise: bottom, right, top (reversed), left (reversed).
			var r orb.Ring
			r = append(r, m.hEdge[i][j]...)
			r = append(r, m.vEdge[i+1][j][1:]...)
			r = append(r, reversed(m.hEdge[i][j+1])[1:]...)
			r = append(r, reversed(m.vEdge[i][j])[1:]...)
			poly := orb.Polygon{r}
			code := quadCode(i, j)
			if i%10 == 5 && j%10 == 5 {
				c := orb.Point{m.minX + (float64(i)+0.5)*m.dx, m.minY + (float64(j)+0.5)*m.dy}
				var h orb.Ring
				for a := range 8 { // clockwise octagon
					ang := -float64(a) * math.Pi / 4
					h = append(h, orb.Point{c[0] + 0.1*m.dx*math.Cos(ang), c[1] + 0.1*m.dy*math.Sin(ang)})
				}
				h = append(h, h[0])
				poly = append(poly, h)
				ecode := fmt.Sprintf("H%03d%03d", i, j-j%20)
				if _, ok := enclaves[ecode]; !ok {
					enclaveOrder = append(enclaveOrder, ecode)
				}
				enclaves[ecode] = append(enclaves[ecode], orb.Polygon{reversed(h)})
				m.holeOf[code] = ecode
				m.holeRing[code] = h
			}
			m.cells = append(m.cells, Cell{Code: code, Geometry: orb.MultiPolygon{poly}})
		}
	}
	for _, code := range enclaveOrder {
		m.cells = append(m.cells, Cell{Code: code, Geometry: enclaves[code]})
	}
	return m
}

func reversed(pts []orb.Point) []orb.Point {
	out := make([]orb.Point, len(pts))
	for i, p := range pts {
		out[len(pts)-1-i] = p
	}
	return out
}

// randomPoint draws a point over the mesh extent enlarged by 5% each side.
func (m *mesh) randomPoint(rng *rand.Rand) orb.Point {
	w, h := float64(m.n)*m.dx, float64(m.n)*m.dy
	return orb.Point{m.minX - 0.05*w + rng.Float64()*1.1*w, m.minY - 0.05*h + rng.Float64()*1.1*h}
}

var (
	mesh100     *mesh
	mesh100Once sync.Once
)

// testMesh returns the shared 100×100 (10,050-cell) mesh.
func testMesh() *mesh {
	mesh100Once.Do(func() { mesh100 = newMesh(100, 1) })
	return mesh100
}

// oracle is the brute-force reference: orb/planar containment over every
// cell whose bounding box contains p, min code among the containing cells.
// (planar counts outer-ring boundaries as inside and hole boundaries as
// outside; tests avoid hole rings with it.) Cells are bucketed by x-column
// of their bounds only to keep 100,000-point comparisons fast.
type oracle struct {
	cells  []Cell
	bounds []orb.Bound
	minX   float64
	colW   float64
	cols   [][]int
}

func newOracle(cells []Cell) *oracle {
	o := &oracle{cells: cells}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range cells {
		b := c.Geometry.Bound()
		o.bounds = append(o.bounds, b)
		lo, hi = math.Min(lo, b.Min[0]), math.Max(hi, b.Max[0])
	}
	o.minX, o.colW = lo, (hi-lo)/200
	o.cols = make([][]int, 200)
	for k, b := range o.bounds {
		for c := o.col(b.Min[0]); c <= o.col(b.Max[0]); c++ {
			o.cols[c] = append(o.cols[c], k)
		}
	}
	return o
}

func (o *oracle) col(x float64) int {
	return max(0, min(len(o.cols)-1, int((x-o.minX)/o.colW)))
}

// locate returns the oracle's answer and how many cells contain p.
func (o *oracle) locate(p orb.Point) (string, int) {
	best, n := "", 0
	for _, k := range o.cols[o.col(p[0])] {
		if !o.bounds[k].Contains(p) || !planar.MultiPolygonContains(o.cells[k].Geometry, p) {
			continue
		}
		n++
		if best == "" || o.cells[k].Code < best {
			best = o.cells[k].Code
		}
	}
	return best, n
}

// bruteForce is the plain linear scan (the baseline benchmark).
func bruteForce(cells []Cell, p orb.Point) string {
	for _, c := range cells {
		if planar.MultiPolygonContains(c.Geometry, p) {
			return c.Code
		}
	}
	return ""
}
