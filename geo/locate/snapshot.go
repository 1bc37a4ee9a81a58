package locate

import (
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Snapshot is an immutable view of the cells at one moment. It is safe for
// any number of concurrent readers and stays valid (and unchanged) after the
// Index it came from is updated.
type Snapshot struct {
	tree  *rtree.RTreeG[*cell] // non-empty cells by bounding box
	cells []*cell              // all cells, sorted by code
	grid  *grid                // acceleration grid; nil when there are no cells
}

// Len returns the number of cells, including cells with empty geometry.
func (s *Snapshot) Len() int { return len(s.cells) }

// Codes returns the cell codes in ascending order (a new slice).
func (s *Snapshot) Codes() []string {
	out := make([]string, len(s.cells))
	for i, c := range s.cells {
		out[i] = c.code
	}
	return out
}

// Cell returns the cell with the given code and whether it exists.
func (s *Snapshot) Cell(code string) (Cell, bool) {
	if c := s.find(code); c != nil {
		return Cell{Code: c.code, Geometry: c.geom}, true
	}
	return Cell{}, false
}

func (s *Snapshot) find(code string) *cell {
	i, ok := slices.BinarySearchFunc(s.cells, code, func(c *cell, code string) int { return strings.Compare(c.code, code) })
	if !ok {
		return nil
	}
	return s.cells[i]
}

// Locate returns the code of the cell containing p and true, or "" and
// false when no cell contains it. A point strictly inside a cell belongs to
// that cell; a point on a boundary (shared edge or vertex, a cell's outer
// edge, or a hole ring) belongs to the lexicographically smallest code among
// the cells whose closed area contains it — PostGIS:
// SELECT min(code) FROM cells WHERE ST_Intersects(geom, p).
// "On a boundary" is decided exactly on the float64 coordinates (robust
// orientation, as in GEOS), for vertices, axis-parallel and diagonal edges. Non-finite p returns false. It does not
// allocate (except, rarely, for a point within rounding distance of an
// edge's line, where the exact fallback of the orientation test runs).
func (s *Snapshot) Locate(p orb.Point) (code string, ok bool) {
	if c := s.locate(p[0], p[1]); c != nil {
		return c.code, true
	}
	return "", false
}

func (s *Snapshot) locate(x, y float64) *cell {
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return nil // never inside: the orientation test calls non-finite "on the line"
	}
	if g := s.grid; g != nil && g.covers(x, y) {
		return g.locate(x, y)
	}
	return s.locateTree(x, y)
}

// locateTree answers from the R-tree alone: it scans every cell whose box
// contains the point and keeps the smallest containing code.
func (s *Snapshot) locateTree(x, y float64) *cell {
	var best *cell
	pt := [2]float64{x, y}
	s.tree.Search(pt, pt, func(_, _ [2]float64, c *cell) bool {
		if (best == nil || c.code < best.code) && c.contains(x, y) {
			best = c
		}
		return true
	})
	return best
}

// Result is the full answer of Lookup.
type Result struct {
	// Code is the containing cell's code (see Locate for the boundary rule);
	// Found reports whether there is one.
	Code  string
	Found bool
	// BoundaryDistanceM is, when Found, the distance in metres from the
	// point to the nearest boundary (outer edge or hole) of cell Code; 0 on
	// the boundary. A small value flags an uncertain assignment (GPS error).
	BoundaryDistanceM float64
	// NearestCode and NearestDistanceM are, when not Found, the closest cell
	// and its distance in metres ("" and 0 when the index is empty).
	NearestCode      string
	NearestDistanceM float64
}

// Lookup locates p like Locate and adds distances in metres, computed with a
// local equirectangular scale at p's latitude (WGS-84 radii of curvature;
// error far below 0.5% over grid-sized distances of a few km). The nearest
// cell search walks the R-tree nearest-first by metric box distance and
// refines candidates by exact segment distance (ties: smallest code). Non-finite p gives a
// zero Result.
func (s *Snapshot) Lookup(p orb.Point) Result {
	x, y := p[0], p[1]
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return Result{}
	}
	kx, ky := metresPerDegree(y)
	if c := s.locate(x, y); c != nil {
		return Result{Code: c.code, Found: true, BoundaryDistanceM: c.boundaryDistance(x, y, kx, ky)}
	}
	// Walk items in order of metric box distance (a lower bound of the exact
	// distance) and refine each by exact segment distance; stop once the
	// next box is farther than the best exact distance found.
	var r Result
	s.tree.Nearby(
		func(min, max [2]float64, _ *cell, _ bool) float64 {
			return boxDist2(x, y, kx, ky, min[0], min[1], max[0], max[1])
		},
		func(_, _ [2]float64, c *cell, box2 float64) bool {
			if r.NearestCode != "" && box2 > r.NearestDistanceM*r.NearestDistanceM {
				return false
			}
			d := c.boundaryDistance(x, y, kx, ky)
			// Among equal distances keep the smallest code, for determinism.
			if r.NearestCode == "" || d < r.NearestDistanceM || (d == r.NearestDistanceM && c.code < r.NearestCode) {
				r.NearestCode, r.NearestDistanceM = c.code, d
			}
			return true
		},
	)
	return r
}
