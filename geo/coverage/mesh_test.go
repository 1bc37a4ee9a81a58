package coverage

import (
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// mesh generates a reproducible nx×ny partition of jittered quads whose
// edges are split into k shared, slightly wavy vertices (4+4k vertices per
// cell), in lon/lat around Hangzhou with ~100 m cells, or planar unit cells.
func mesh(nx, ny, k int, planar bool) []orb.Geometry {
	rng := rand.New(rand.NewPCG(42, uint64(nx*1000+ny)))
	x0, y0, step := 120.1, 30.2, 0.001
	if planar {
		x0, y0, step = 0, 0, 1
	}
	corner := make([][]orb.Point, nx+1)
	for i := range corner {
		corner[i] = make([]orb.Point, ny+1)
		for j := range corner[i] {
			jx, jy := 0.0, 0.0
			if i > 0 && i < nx && j > 0 && j < ny {
				jx, jy = (rng.Float64()-0.5)*0.3, (rng.Float64()-0.5)*0.3
			}
			corner[i][j] = orb.Point{x0 + (float64(i)+jx)*step, y0 + (float64(j)+jy)*step}
		}
	}
	// edge returns the k inner points from a to b, wavy across the edge.
	edge := func(a, b orb.Point, border bool) []orb.Point {
		pts := make([]orb.Point, k)
		nx, ny := -(b[1] - a[1]), b[0]-a[0]
		for t := range pts {
			f := float64(t+1) / float64(k+1)
			off := 0.0
			if !border {
				off = (rng.Float64() - 0.5) * 0.04
			}
			pts[t] = orb.Point{a[0] + f*(b[0]-a[0]) + off*nx, a[1] + f*(b[1]-a[1]) + off*ny}
		}
		return pts
	}
	horiz := make([][][]orb.Point, nx) // from corner[i][j] to corner[i+1][j]
	for i := range horiz {
		horiz[i] = make([][]orb.Point, ny+1)
		for j := range horiz[i] {
			horiz[i][j] = edge(corner[i][j], corner[i+1][j], j == 0 || j == ny)
		}
	}
	vert := make([][][]orb.Point, nx+1) // from corner[i][j] to corner[i][j+1]
	for i := range vert {
		vert[i] = make([][]orb.Point, ny)
		for j := range vert[i] {
			vert[i][j] = edge(corner[i][j], corner[i][j+1], i == 0 || i == nx)
		}
	}
	rev := func(p []orb.Point) []orb.Point {
		out := make([]orb.Point, len(p))
		for i := range p {
			out[i] = p[len(p)-1-i]
		}
		return out
	}
	var out []orb.Geometry
	for j := 0; j < ny; j++ {
		for i := 0; i < nx; i++ {
			r := orb.Ring{corner[i][j]}
			r = append(r, horiz[i][j]...)
			r = append(r, corner[i+1][j])
			r = append(r, vert[i+1][j]...)
			r = append(r, corner[i+1][j+1])
			r = append(r, rev(horiz[i][j+1])...)
			r = append(r, corner[i][j+1])
			r = append(r, rev(vert[i][j])...)
			r = append(r, corner[i][j])
			out = append(out, orb.Polygon{r})
		}
	}
	return out
}

// meshParent is the outline of mesh(nx, ny, k, planar) as a polygon.
func meshParent(ms []orb.Geometry, nx, ny int) orb.Polygon {
	var r orb.Ring
	cell := func(i, j int) orb.Ring { return ms[j*nx+i].(orb.Polygon)[0] }
	for i := 0; i < nx; i++ { // bottom edges
		c := cell(i, 0)
		r = append(r, c[:len(c)/4]...)
	}
	for j := 0; j < ny; j++ { // right
		c := cell(nx-1, j)
		r = append(r, c[len(c)/4:len(c)/2]...)
	}
	for i := nx - 1; i >= 0; i-- { // top
		c := cell(i, ny-1)
		r = append(r, c[len(c)/2:3*len(c)/4]...)
	}
	for j := ny - 1; j >= 0; j-- { // left
		c := cell(0, j)
		r = append(r, c[3*len(c)/4:len(c)-1]...)
	}
	r = append(r, r[0])
	return orb.Polygon{r}
}
