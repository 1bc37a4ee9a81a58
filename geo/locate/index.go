package locate

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Index is a concurrently readable, incrementally updatable cell index.
// Readers (Locate, Lookup, Snapshot) never block; updates are serialized
// and publish a new immutable Snapshot atomically. The zero Index is empty
// and ready to use.
type Index struct {
	mu  sync.Mutex // serializes writers
	cur atomic.Pointer[Snapshot]
}

// New builds an index of cells. When several cells share a code the last
// one wins. Cells with empty geometry are kept (Len, Codes) but match no
// point.
func New(cells []Cell) *Index {
	idx := &Index{}
	idx.cur.Store(build(cells))
	return idx
}

// build compiles cells into a fresh snapshot.
func build(cells []Cell) *Snapshot {
	byCode := make(map[string]int, len(cells))
	compiled := make([]*cell, 0, len(cells))
	for _, c := range cells {
		cc := compile(c)
		if i, dup := byCode[c.Code]; dup {
			compiled[i] = cc
			continue
		}
		byCode[c.Code] = len(compiled)
		compiled = append(compiled, cc)
	}
	slices.SortFunc(compiled, func(a, b *cell) int { return strings.Compare(a.code, b.code) })
	s := &Snapshot{tree: &rtree.RTreeG[*cell]{}, cells: compiled}
	for _, c := range compiled {
		if !c.empty {
			s.tree.Insert(c.bound.Min, c.bound.Max, c)
		}
	}
	s.grid = buildGrid(s)
	return s
}

// buildGrid sizes and fills a grid over the tree's extent.
func buildGrid(s *Snapshot) *grid {
	if s.tree.Len() == 0 {
		return nil
	}
	lo, hi := s.tree.Bounds()
	g := newGrid(lo[0], lo[1], hi[0], hi[1], s.tree.Len(), bucketsPerCell)
	if g != nil {
		g.fill(s.cells)
	}
	return g
}

// emptySnapshot stands in for the zero Index's missing snapshot.
var emptySnapshot = &Snapshot{tree: &rtree.RTreeG[*cell]{}}

// Snapshot returns the current immutable snapshot. Use it to answer several
// queries from one consistent state.
func (idx *Index) Snapshot() *Snapshot {
	if s := idx.cur.Load(); s != nil {
		return s
	}
	return emptySnapshot
}

// Locate answers from the current snapshot; see (*Snapshot).Locate for the
// boundary rule.
func (idx *Index) Locate(p orb.Point) (code string, ok bool) { return idx.Snapshot().Locate(p) }

// Lookup answers from the current snapshot; see (*Snapshot).Lookup.
func (idx *Index) Lookup(p orb.Point) Result { return idx.Snapshot().Lookup(p) }

// Len returns the number of cells in the current snapshot.
func (idx *Index) Len() int { return idx.Snapshot().Len() }

// Codes returns the current cell codes in ascending order.
func (idx *Index) Codes() []string { return idx.Snapshot().Codes() }

// Replace swaps in a snapshot built from scratch from cells (a full reload).
func (idx *Index) Replace(cells []Cell) {
	s := build(cells)
	idx.mu.Lock()
	idx.cur.Store(s)
	idx.mu.Unlock()
}

// Upsert inserts cells, replacing cells with the same codes (the last of
// duplicates wins), and publishes the result. Only the R-tree paths and grid
// rows the changed cells touch are copied.
func (idx *Index) Upsert(cells ...Cell) {
	if len(cells) == 0 {
		return
	}
	compiled := make([]*cell, len(cells))
	for i, c := range cells {
		compiled[i] = compile(c)
	}
	idx.update(compiled, nil)
}

// Delete removes the cells with the given codes; unknown codes are ignored.
func (idx *Index) Delete(codes ...string) {
	if len(codes) == 0 {
		return
	}
	idx.update(nil, codes)
}

// update derives a new snapshot from the current one.
func (idx *Index) update(add []*cell, del []string) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	old := idx.Snapshot()
	// Copy-on-write clone of the tree. (Copy also writes to the source tree's
	// header, so the shared empty snapshot's tree is never copied.)
	tree := &rtree.RTreeG[*cell]{}
	if old.tree.Len() > 0 {
		tree = old.tree.Copy()
	}
	s := &Snapshot{tree: tree, cells: slices.Clone(old.cells)}
	var g *grid
	if old.grid != nil {
		g = old.grid.clone()
	}
	owned := map[int]bool{}
	removeCode := func(code string) {
		i, ok := slices.BinarySearchFunc(s.cells, code, func(c *cell, code string) int { return strings.Compare(c.code, code) })
		if !ok {
			return
		}
		c := s.cells[i]
		if !c.empty {
			s.tree.Delete(c.bound.Min, c.bound.Max, c)
			if g != nil {
				g.remove(c, owned)
			}
		}
		s.cells = slices.Delete(s.cells, i, i+1)
	}
	for _, code := range del {
		removeCode(code)
	}
	for _, c := range add {
		removeCode(c.code)
		i, _ := slices.BinarySearchFunc(s.cells, c.code, func(c *cell, code string) int { return strings.Compare(c.code, code) })
		s.cells = slices.Insert(s.cells, i, c)
		if !c.empty {
			s.tree.Insert(c.bound.Min, c.bound.Max, c)
			if g != nil {
				g.add(c, owned)
			}
		}
	}
	s.grid = g
	if g == nil || gridStale(g, s.tree) {
		s.grid = buildGrid(s)
	}
	idx.cur.Store(s)
}

// gridStale reports whether the grid should be rebuilt: its resolution was
// chosen for a very different number of cells, or cells now extend well
// beyond its extent (those parts would only be found via the R-tree).
func gridStale(g *grid, tree *rtree.RTreeG[*cell]) bool {
	n := tree.Len()
	if n == 0 || n > 2*g.builtFor || 2*n < g.builtFor {
		return true
	}
	lo, hi := tree.Bounds()
	w, h := g.maxX-g.minX, g.maxY-g.minY
	return (hi[0]-lo[0])*(hi[1]-lo[1]) > 1.5*w*h
}
