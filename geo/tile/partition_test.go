package tile

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// partition is a reproducible grid partition for tests and benchmarks: an
// n×n perturbed quad mesh of about 100 m cells around lon 120.15, lat 30.28,
// every edge split into three segments whose inner points are shared by the
// two cells on either side, so neighbouring cells share all vertices.
type partition struct {
	n     int
	cells []Feature
	bound orb.Bound
}

func newPartition(n int, seed uint64) *partition {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	const lon0, lat0 = 120.15, 30.28
	dlat := 100.0 / 111320
	dlon := 100.0 / (111320 * math.Cos(lat0*math.Pi/180))
	ox, oy := lon0-float64(n)/2*dlon, lat0-float64(n)/2*dlat
	jit := func(s float64) float64 { return (rng.Float64()*2 - 1) * s }

	// Mesh vertices; the outer boundary stays straight.
	v := make([][]orb.Point, n+1)
	for i := range v {
		v[i] = make([]orb.Point, n+1)
		for j := range v[i] {
			p := orb.Point{ox + float64(i)*dlon, oy + float64(j)*dlat}
			if i > 0 && i < n && j > 0 && j < n {
				p[0] += jit(0.25 * dlon)
				p[1] += jit(0.25 * dlat)
			}
			v[i][j] = p
		}
	}
	// Two inner points per edge, jittered across the edge (not on the border).
	edge := func(a, b orb.Point, border bool) [2]orb.Point {
		var out [2]orb.Point
		for k := range 2 {
			t := float64(k+1) / 3
			p := orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
			if !border {
				// perpendicular offset, in degrees scaled per axis
				nx, ny := -(b[1] - a[1]), b[0]-a[0]
				s := jit(0.08)
				p[0] += nx * s * dlon / dlat
				p[1] += ny * s * dlat / dlon
			}
			out[k] = p
		}
		return out
	}
	horiz := make([][][2]orb.Point, n) // horiz[i][j]: v[i][j] → v[i+1][j]
	for i := range horiz {
		horiz[i] = make([][2]orb.Point, n+1)
		for j := range horiz[i] {
			horiz[i][j] = edge(v[i][j], v[i+1][j], j == 0 || j == n)
		}
	}
	vert := make([][][2]orb.Point, n+1) // vert[i][j]: v[i][j] → v[i][j+1]
	for i := range vert {
		vert[i] = make([][2]orb.Point, n)
		for j := range vert[i] {
			vert[i][j] = edge(v[i][j], v[i][j+1], i == 0 || i == n)
		}
	}
	kinds := []string{"residential", "commercial", "industrial", "mixed"}
	p := &partition{n: n, bound: orb.Bound{Min: v[0][0], Max: v[n][n]}}
	for i := range n {
		for j := range n {
			b, r, t, l := horiz[i][j], vert[i+1][j], horiz[i][j+1], vert[i][j]
			ring := orb.Ring{
				v[i][j], b[0], b[1],
				v[i+1][j], r[0], r[1],
				v[i+1][j+1], t[1], t[0],
				v[i][j+1], l[1], l[0],
				v[i][j],
			}
			id := uint64(i*n + j + 1)
			p.cells = append(p.cells, Feature{
				ID:       id,
				Geometry: orb.MultiPolygon{{ring}},
				Properties: []Property{
					{"code", fmt.Sprintf("330106%09d", id)},
					{"name", fmt.Sprintf("网格%05d", id)},
					{"level", 5},
					{"kind", kinds[(i/7+j/5)%len(kinds)]},
					{"households", 50 + rng.IntN(750)},
				},
			})
		}
	}
	return p
}

// gridSpec is the layer declaration used for the grid partition.
var gridSpec = Spec{Name: "grids", MinZoom: 10, DetailZoom: 14, SummaryKeys: []string{"kind", "level"}}

func (p *partition) layer() *Layer {
	l := NewLayer(gridSpec)
	if err := l.Replace(p.cells); err != nil {
		panic(err)
	}
	return l
}
