package locate

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// benchPoints returns reproducible random points over the mesh extent.
func benchPoints(m *mesh, n int) []orb.Point {
	rng := rand.New(rand.NewPCG(2024, 1))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = m.randomPoint(rng)
	}
	return pts
}

var sinkCode string

// BenchmarkLocate10k compares, on the 10,050-cell mesh, the acceleration
// grid (Locate), the R-tree + exact PIP path alone, and a linear scan with
// planar.MultiPolygonContains (the baseline).
func BenchmarkLocate10k(b *testing.B) {
	m := testMesh()
	s := New(m.cells).Snapshot()
	pts := benchPoints(m, 1<<16)
	b.Run("grid", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkCode, _ = s.Locate(pts[i&(len(pts)-1)])
			i++
		}
	})
	// The same buckets answered with the full ring test instead of the
	// per-row edge bands, to justify the bands.
	b.Run("gridFullPIP", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if c := locateFullPIP(s, pts[i&(len(pts)-1)]); c != nil {
				sinkCode = c.code
			}
			i++
		}
	})
	// Other grid resolutions, to justify bucketsPerCell.
	for _, perCell := range []int{4, 64} {
		alt := *s
		lo, hi := s.tree.Bounds()
		alt.grid = newGrid(lo[0], lo[1], hi[0], hi[1], s.tree.Len(), perCell)
		alt.grid.fill(s.cells)
		b.Run(fmt.Sprintf("grid%dperCell", perCell), func(b *testing.B) {
			i := 0
			for b.Loop() {
				sinkCode, _ = alt.Locate(pts[i&(len(pts)-1)])
				i++
			}
		})
	}
	b.Run("rtree", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p := pts[i&(len(pts)-1)]
			if c := s.locateTree(p[0], p[1]); c != nil {
				sinkCode = c.code
			}
			i++
		}
	})
	b.Run("bruteforce", func(b *testing.B) {
		i := 0
		for b.Loop() {
			sinkCode = bruteForce(m.cells, pts[i&(len(pts)-1)])
			i++
		}
	})
}

func BenchmarkLocateParallel(b *testing.B) {
	m := testMesh()
	idx := New(m.cells)
	pts := benchPoints(m, 1<<16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(pts))
		for pb.Next() {
			c, _ := idx.Locate(pts[i&(len(pts)-1)])
			_ = c
			i++
		}
	})
}

func BenchmarkLookup10k(b *testing.B) {
	m := testMesh()
	s := New(m.cells).Snapshot()
	pts := benchPoints(m, 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := s.Lookup(pts[i&(len(pts)-1)])
		sinkCode = r.Code
		i++
	}
}

func BenchmarkBuild10k(b *testing.B) {
	m := testMesh()
	b.ReportAllocs()
	for b.Loop() {
		New(m.cells)
	}
}

// BenchmarkUpsertOne replaces one cell (alternating between two) in the
// 10k index: copy-on-write of the R-tree path and the touched grid rows.
// "rebuild" is the alternative: a full New of all cells.
func BenchmarkUpsertOne(b *testing.B) {
	m := testMesh()
	b.Run("incremental", func(b *testing.B) {
		idx := New(m.cells)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			idx.Upsert(m.cells[(i%2)*5050+17])
			i++
		}
	})
	b.Run("rebuild", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			New(m.cells)
		}
	})
}

// locateFullPIP is Snapshot.locate with the grid's candidates tested by
// cell.contains rather than their row bands.
func locateFullPIP(s *Snapshot, p orb.Point) *cell {
	g := s.grid
	if !g.covers(p[0], p[1]) {
		return s.locateTree(p[0], p[1])
	}
	b := &g.rows[g.row(p[1])][g.col(p[0])]
	if b.hit != nil {
		return b.hit
	}
	for i := range b.list {
		if e := &b.list[i]; e.inside || e.c.contains(p[0], p[1]) {
			return e.c
		}
	}
	return nil
}
