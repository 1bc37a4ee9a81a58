package boundary

import (
	"context"
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"

	"wangge/geo/coverage"
	"wangge/geo/earth"
)

// snapper moves vertices onto nearby reference vertices and edges.
type snapper struct {
	segs rtree.RTreeG[[2]orb.Point]
	tol  float64 // metres
}

func newSnapper(refs []orb.Ring, tol float64) *snapper {
	s := &snapper{tol: tol}
	for _, r := range refs {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			s.segs.Insert([2]float64{min(a[0], b[0]), min(a[1], b[1])}, [2]float64{max(a[0], b[0]), max(a[1], b[1])}, [2]orb.Point{a, b})
		}
	}
	return s
}

// point returns p moved to the nearest reference vertex within the
// tolerance, else to the nearest point of a reference edge within it, else p.
func (s *snapper) point(p orb.Point) orb.Point {
	kx, ky := earth.MetresPerDegree(p[1])
	dLon, dLat := s.tol/kx, s.tol/ky
	bestV, bestVD := p, math.Inf(1)
	bestE, bestED := p, math.Inf(1)
	dist := func(q orb.Point) float64 { return math.Hypot((q[0]-p[0])*kx, (q[1]-p[1])*ky) }
	s.segs.Search([2]float64{p[0] - dLon, p[1] - dLat}, [2]float64{p[0] + dLon, p[1] + dLat}, func(_, _ [2]float64, seg [2]orb.Point) bool {
		for _, v := range seg {
			if d := dist(v); d < bestVD {
				bestV, bestVD = v, d
			}
		}
		a, b := seg[0], seg[1]
		ax, ay := (a[0]-p[0])*kx, (a[1]-p[1])*ky
		bx, by := (b[0]-p[0])*kx, (b[1]-p[1])*ky
		dx, dy := bx-ax, by-ay
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t := math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
			q := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			if d := dist(q); d < bestED {
				bestE, bestED = q, d
			}
		}
		return true
	})
	if bestVD <= s.tol {
		return bestV
	}
	if bestED <= s.tol {
		return bestE
	}
	return p
}

// polygon snaps every vertex of mp; when snapping would make it invalid
// (a ring collapsing or crossing itself) mp is returned unchanged. The
// validity check stops when ctx is done, with ctx's error.
func (s *snapper) polygon(ctx context.Context, mp orb.MultiPolygon) (orb.MultiPolygon, error) {
	if err := ctx.Err(); err != nil {
		return mp, err
	}
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, p := range mp {
		var np orb.Polygon
		for _, r := range p {
			nr := make(orb.Ring, 0, len(r))
			for _, pt := range r {
				q := s.point(pt)
				if len(nr) > 0 && nr[len(nr)-1] == q {
					continue
				}
				nr = append(nr, q)
			}
			if len(nr) > 0 && nr[0] != nr[len(nr)-1] {
				nr = append(nr, nr[0])
			}
			if len(nr) < 4 {
				if len(np) == 0 {
					np = nil
					break
				}
				continue
			}
			np = append(np, nr)
		}
		if np != nil {
			out = append(out, np)
		}
	}
	if len(out) == 0 {
		return mp, nil
	}
	if ds, err := coverage.CheckGeometryContext(ctx, out); err != nil || ds != nil {
		return mp, err
	}
	return out, nil
}

// rings lists every ring of the geometries.
func rings(gs ...orb.MultiPolygon) []orb.Ring {
	var out []orb.Ring
	for _, mp := range gs {
		for _, p := range mp {
			out = append(out, p...)
		}
	}
	return out
}

// restorer maps vertices that an overlay in PostGIS returned off by a
// rounding error (within eps degrees) back to the exact input vertex, so an
// unchanged stretch of boundary keeps the very coordinates its neighbours
// outside the edit still have.
type restorer struct {
	eps   float64
	cells map[[2]int64][]orb.Point
}

func newRestorer(eps float64, gs ...orb.MultiPolygon) *restorer {
	r := &restorer{eps: eps, cells: map[[2]int64][]orb.Point{}}
	for _, ring := range rings(gs...) {
		for _, p := range ring {
			k := r.key(p)
			r.cells[k] = append(r.cells[k], p)
		}
	}
	return r
}

func (r *restorer) key(p orb.Point) [2]int64 {
	return [2]int64{int64(math.Floor(p[0] / r.eps)), int64(math.Floor(p[1] / r.eps))}
}

func (r *restorer) point(p orb.Point) orb.Point {
	k := r.key(p)
	best, bestD := p, r.eps
	for dx := int64(-1); dx <= 1; dx++ {
		for dy := int64(-1); dy <= 1; dy++ {
			for _, q := range r.cells[[2]int64{k[0] + dx, k[1] + dy}] {
				if d := math.Max(math.Abs(q[0]-p[0]), math.Abs(q[1]-p[1])); d <= bestD {
					best, bestD = q, d
				}
			}
		}
	}
	return best
}

// polygon restores every vertex of mp (consecutive duplicates dropped).
func (r *restorer) polygon(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, 0, len(mp))
	for _, p := range mp {
		np := make(orb.Polygon, 0, len(p))
		for _, ring := range p {
			nr := make(orb.Ring, 0, len(ring))
			for _, pt := range ring {
				q := r.point(pt)
				if len(nr) > 0 && nr[len(nr)-1] == q {
					continue
				}
				nr = append(nr, q)
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

// has reports whether p is exactly one of the restorer's vertices.
func (r *restorer) has(p orb.Point) bool {
	for _, q := range r.cells[r.key(p)] {
		if q == p {
			return true
		}
	}
	return false
}

// dropNodes removes the vertices the overlay added where one grid's edge
// crosses another's (noding), when that crossing lies on a straight stretch
// of every ring that has it: rounded to the 1e-7° grid, such a node sits up
// to half a grid step off the line, so keeping it bends an edge the planner
// sent straight (a restored shape came back 0.001 m² off). A node is dropped
// from every ring at once, so shared edges stay identical; a vertex of any
// input (stored grids, claims) is never dropped, nor one where a ring turns.
func dropNodes(final map[string]orb.MultiPolygon, input *restorer, tol float64) {
	straight := map[orb.Point]bool{} // candidate → straight in every ring seen so far
	visit := func(f func(ring orb.Ring, i int)) {
		for _, mp := range final {
			for _, poly := range mp {
				for _, ring := range poly {
					if n := len(ring) - 1; n >= 4 { // a triangle keeps its vertices
						for i := 0; i < n; i++ {
							f(ring, i)
						}
					}
				}
			}
		}
	}
	visit(func(ring orb.Ring, i int) {
		p := ring[i]
		if input.has(p) {
			return
		}
		n := len(ring) - 1
		prev, next := ring[(i+n-1)%n], ring[(i+1)%n]
		ok, seen := straight[p]
		straight[p] = (ok || !seen) && segmentDistance(p, prev, next) <= tol
	})
	for c, mp := range final {
		out := make(orb.MultiPolygon, 0, len(mp))
		for _, poly := range mp {
			np := make(orb.Polygon, 0, len(poly))
			for _, ring := range poly {
				nr := make(orb.Ring, 0, len(ring))
				for i, p := range ring[:len(ring)-1] {
					if straight[p] && len(ring)-1-(i-len(nr)) > 3 {
						continue
					}
					nr = append(nr, p)
				}
				if len(nr) < 3 {
					nr = append(nr[:0], ring[:len(ring)-1]...)
				}
				np = append(np, append(nr, nr[0]))
			}
			out = append(out, np)
		}
		final[c] = out
	}
}

// segmentDistance is the distance in degrees from p to the segment ab.
func segmentDistance(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	k := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		k = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
	}
	return math.Hypot(a[0]+k*dx-p[0], a[1]+k*dy-p[1])
}
