package hotspot

import (
	"math"

	"github.com/paulmach/orb"

	"wangge/geo/earth"
)

// HexGrid is a lattice of flat-top hexagons of circumradius Size metres (the
// centre-to-corner distance, which is also the side) on a local
// equirectangular projection about an origin (see earth.MetresPerDegree; over
// a district tens of km across the scale error stays within a few tenths of a
// per cent). Cells are axial coordinates (q, r); neighbouring centres are
// √3·Size apart.
type HexGrid struct {
	Size       float64
	lon0, lat0 float64
	kx, ky     float64 // metres per degree at the origin
}

// Cell is a hexagon's axial coordinate.
type Cell struct{ Q, R int32 }

// NewHexGrid returns the lattice of hexagons of size metres about lon0/lat0.
func NewHexGrid(size, lon0, lat0 float64) HexGrid {
	kx, ky := earth.MetresPerDegree(lat0)
	return HexGrid{Size: size, lon0: lon0, lat0: lat0, kx: kx, ky: ky}
}

// Origin returns the projection's origin and its metres per degree of
// longitude and latitude, for the same binning in SQL.
func (g HexGrid) Origin() (lon0, lat0, kx, ky float64) { return g.lon0, g.lat0, g.kx, g.ky }

// Project maps lon/lat to metres on the grid's projection.
func (g HexGrid) Project(lon, lat float64) Point {
	return Point{(lon - g.lon0) * g.kx, (lat - g.lat0) * g.ky}
}

// Unproject maps metres back to lon/lat.
func (g HexGrid) Unproject(p Point) orb.Point {
	return orb.Point{g.lon0 + p.X/g.kx, g.lat0 + p.Y/g.ky}
}

// CellAt is the hexagon containing the point (metres).
func (g HexGrid) CellAt(p Point) Cell {
	q := (2.0 / 3 * p.X) / g.Size
	r := (-1.0/3*p.X + math.Sqrt(3)/3*p.Y) / g.Size
	// Cube rounding: round all three cube coordinates, fix the one that moved most.
	s := -q - r
	rq, rr, rs := math.Round(q), math.Round(r), math.Round(s)
	dq, dr, ds := math.Abs(rq-q), math.Abs(rr-r), math.Abs(rs-s)
	if dq > dr && dq > ds {
		rq = -rr - rs
	} else if dr > ds {
		rr = -rq - rs
	}
	return Cell{int32(rq), int32(rr)}
}

// Centre is the cell's centre in metres.
func (g HexGrid) Centre(c Cell) Point {
	return Point{g.Size * 1.5 * float64(c.Q), g.Size * math.Sqrt(3) * (float64(c.R) + float64(c.Q)/2)}
}

// Polygon is the cell's outline in lon/lat, counter-clockwise, closed.
func (g HexGrid) Polygon(c Cell) orb.Polygon {
	ctr := g.Centre(c)
	ring := make(orb.Ring, 7)
	for k := range 6 {
		a := math.Pi / 3 * float64(k)
		ring[k] = g.Unproject(Point{ctr.X + g.Size*math.Cos(a), ctr.Y + g.Size*math.Sin(a)})
	}
	ring[6] = ring[0]
	return orb.Polygon{ring}
}

// Area is one hexagon's area in square metres: (3√3/2)·Size².
func (g HexGrid) Area() float64 { return 3 * math.Sqrt(3) / 2 * g.Size * g.Size }

// Spacing is the distance between neighbouring centres, √3·Size: a distance
// band a little above it makes each cell's neighbourhood its six touching
// cells and itself.
func (g HexGrid) Spacing() float64 { return math.Sqrt(3) * g.Size }

// Covering returns every cell whose centre lies in the bound (lon/lat), in
// (Q, R) order: the study area's bins, empty ones included (Gi* compares a
// bin with all bins, so the zeros count).
func (g HexGrid) Covering(b orb.Bound) []Cell {
	lo, hi := g.Project(b.Min[0], b.Min[1]), g.Project(b.Max[0], b.Max[1])
	q0 := int32(math.Floor(lo.X/(1.5*g.Size))) - 1
	q1 := int32(math.Ceil(hi.X/(1.5*g.Size))) + 1
	var out []Cell
	for q := q0; q <= q1; q++ {
		off := float64(q) / 2
		r0 := int32(math.Floor(lo.Y/(math.Sqrt(3)*g.Size)-off)) - 1
		r1 := int32(math.Ceil(hi.Y/(math.Sqrt(3)*g.Size)-off)) + 1
		for r := r0; r <= r1; r++ {
			c := Cell{q, r}
			p := g.Centre(c)
			if p.X >= lo.X && p.X <= hi.X && p.Y >= lo.Y && p.Y <= hi.Y {
				out = append(out, c)
			}
		}
	}
	return out
}

// Count bins lon/lat points: how many fall in each cell.
func (g HexGrid) Count(lons, lats []float64) map[Cell]int {
	m := make(map[Cell]int, 1024)
	for i := range lons {
		m[g.CellAt(g.Project(lons[i], lats[i]))]++
	}
	return m
}
