package locate

import (
	"math"
	"slices"
	"strings"
)

// bucketsPerCell is the target number of acceleration buckets per cell. On
// the 10k-cell benchmark mesh ~57% of in-extent queries land in a bucket
// wholly inside one cell (answered without point-in-polygon); the rest test
// ~2 candidates. Measured (BenchmarkLocate10k): 4 → ~400 ns, 32 → ~240 ns,
// 64 → ~160 ns per query, but 64 retains ~88 MB for 10k cells against
// ~57 MB for 32; 32 is the compromise.
const bucketsPerCell = 32

// maxBuckets caps the grid's memory (~24 bytes per bucket plus entries).
const maxBuckets = 4 << 20

// entry is one candidate cell of a bucket; inside means the whole (slightly
// inflated) bucket rectangle lies in the cell's interior, so every point
// that maps to the bucket is in the cell's closed area. Otherwise band holds
// the cell's edges that meet the bucket's grid row (see bandContains),
// shared by all the row's buckets of that cell.
type entry struct {
	c      *cell
	band   []float64
	inside bool
}

// bucket is one grid bucket: its candidates sorted by code and, when the
// first of them wholly covers the bucket, that cell as the answer for every
// point of the bucket (one load instead of a list walk).
type bucket struct {
	hit  *cell
	list []entry
}

func newBucket(list []entry) bucket {
	b := bucket{list: list}
	if len(list) > 0 && list[0].inside {
		b.hit = list[0].c
	}
	return b
}

// grid is a uniform acceleration grid over a fixed extent. Each bucket lists
// the cells whose closed area meets it, sorted by code, so the first entry
// that contains a point is the answer under the package's boundary rule.
// Parts of cells outside the extent are not in the grid; points outside it
// fall back to the R-tree. Rows are copy-on-write between snapshots.
type grid struct {
	minX, minY, maxX, maxY float64
	nx, ny                 int
	sx, sy                 float64 // buckets per degree
	rows                   [][]bucket
	builtFor               int // cell count the resolution was chosen for
}

// newGrid sizes an empty grid over the given extent for n cells, with about
// perCell buckets per cell.
func newGrid(minX, minY, maxX, maxY float64, n, perCell int) *grid {
	w, h := maxX-minX, maxY-minY
	if n <= 0 || !(w > 0) || !(h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return nil
	}
	total := min(float64(n*perCell), maxBuckets)
	side := math.Sqrt(w * h / total)
	nx := max(1, min(int(math.Ceil(w/side)), maxBuckets))
	ny := max(1, min(int(math.Ceil(h/side)), maxBuckets/nx))
	g := &grid{minX: minX, minY: minY, maxX: maxX, maxY: maxY, nx: nx, ny: ny,
		sx: float64(nx) / w, sy: float64(ny) / h, builtFor: n}
	g.rows = make([][]bucket, ny)
	for i := range g.rows {
		g.rows[i] = make([]bucket, nx)
	}
	return g
}

// col and row map a coordinate to a bucket index, clamped to the grid. Both
// are monotone in their argument, which is what makes bucket assignment by
// bounding box exact: a point within a cell's box maps to a bucket within
// the box's bucket range.
func (g *grid) col(x float64) int { return clampIdx(int((x-g.minX)*g.sx), g.nx) }
func (g *grid) row(y float64) int { return clampIdx(int((y-g.minY)*g.sy), g.ny) }

func clampIdx(i, n int) int {
	if i < 0 {
		return 0
	}
	if i >= n {
		return n - 1
	}
	return i
}

// covers reports whether (x, y) is inside the grid's extent (false for NaN).
func (g *grid) covers(x, y float64) bool {
	return x >= g.minX && x <= g.maxX && y >= g.minY && y <= g.maxY
}

// locate returns the answering cell for a covered point, or nil.
func (g *grid) locate(x, y float64) *cell {
	b := &g.rows[g.row(y)][g.col(x)]
	if b.hit != nil {
		return b.hit
	}
	for i := range b.list {
		if e := &b.list[i]; e.inside || bandContains(e.band, x, y) {
			return e.c
		}
	}
	return nil
}

// bucketRect returns bucket (i, j)'s rectangle inflated by a small margin so
// that rounding in col/row can never map a point outside it.
func (g *grid) bucketRect(i, j int) (x0, y0, x1, y1 float64) {
	w, h := 1/g.sx, 1/g.sy
	mx, my := w*1e-6, h*1e-6
	x0 = g.minX + float64(i)*w - mx
	y0 = g.minY + float64(j)*h - my
	return x0, y0, x0 + w + 2*mx, y0 + h + 2*my
}

// cover is what cell c contributes to the grid: the bucket range, a
// per-bucket state (0 none, 1 candidate, 2 wholly inside) in row-major
// order over that range, and per row the band of edges for bandContains.
type cover struct {
	i0, j0, i1, j1 int
	state          []uint8
	bands          [][]float64
}

// entry returns c's entry for bucket (i, j), ok false when c is not a
// candidate there.
func (cv *cover) entry(c *cell, i, j int) (e entry, ok bool) {
	switch cv.state[(j-cv.j0)*(cv.i1-cv.i0+1)+i-cv.i0] {
	case 1:
		return entry{c: c, band: cv.bands[j-cv.j0]}, true
	case 2:
		return entry{c: c, inside: true}, true
	}
	return entry{}, false
}

// coverage computes the buckets c's closed area meets; ok is false when c
// is entirely outside the grid.
func (g *grid) coverage(c *cell) (cv cover, ok bool) {
	b := c.bound
	if b.Max[0] < g.minX || b.Min[0] > g.maxX || b.Max[1] < g.minY || b.Min[1] > g.maxY {
		return cover{}, false
	}
	i0, i1 := g.col(b.Min[0]), g.col(b.Max[0])
	j0, j1 := g.row(b.Min[1]), g.row(b.Max[1])
	nx := i1 - i0 + 1
	state := make([]uint8, nx*(j1-j0+1))
	// Mark every bucket an edge passes through (or touches) as a candidate.
	for ri := range c.rings {
		xy := c.rings[ri].xy
		for k := 0; k+3 < len(xy); k += 2 {
			ax, ay, bx, by := xy[k], xy[k+1], xy[k+2], xy[k+3]
			ci0, ci1 := g.col(math.Min(ax, bx)), g.col(math.Max(ax, bx))
			cj0, cj1 := g.row(math.Min(ay, by)), g.row(math.Max(ay, by))
			// Neighbours too: the inflated rectangles overlap by a margin.
			ci0, cj0 = max(ci0-1, i0), max(cj0-1, j0)
			ci1, cj1 = min(ci1+1, i1), min(cj1+1, j1)
			for j := cj0; j <= cj1; j++ {
				for i := ci0; i <= ci1; i++ {
					s := &state[(j-j0)*nx+i-i0]
					if *s != 0 {
						continue
					}
					x0, y0, x1, y1 := g.bucketRect(i, j)
					if segmentMeetsRect(ax, ay, bx, by, x0, y0, x1, y1) {
						*s = 1
					}
				}
			}
		}
	}
	// Buckets no edge meets are wholly inside or wholly outside.
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			s := &state[(j-j0)*nx+i-i0]
			if *s == 0 {
				x0, y0, x1, y1 := g.bucketRect(i, j)
				if c.contains((x0+x1)/2, (y0+y1)/2) {
					*s = 2
				}
			}
		}
	}
	return cover{i0: i0, j0: j0, i1: i1, j1: j1, state: state, bands: g.bands(c, j0, j1)}, true
}

// bands returns, for each grid row j0…j1, the edges of c whose y-range
// meets the row, as lo.x, lo.y, hi.x, hi.y quadruples (lo = the endpoint
// with the smaller y). Rows are assigned with the same monotone row() as
// queries, so a query at height y finds every edge whose y-range holds y.
func (g *grid) bands(c *cell, j0, j1 int) [][]float64 {
	counts := make([]int, j1-j0+1)
	each := func(f func(ax, ay, bx, by float64, r0, r1 int)) {
		for ri := range c.rings {
			xy := c.rings[ri].xy
			for k := 0; k+3 < len(xy); k += 2 {
				ax, ay, bx, by := xy[k], xy[k+1], xy[k+2], xy[k+3]
				if ay > by {
					ax, ay, bx, by = bx, by, ax, ay
				}
				f(ax, ay, bx, by, max(g.row(ay), j0)-j0, min(g.row(by), j1)-j0)
			}
		}
	}
	total := 0
	each(func(_, _, _, _ float64, r0, r1 int) {
		for r := r0; r <= r1; r++ {
			counts[r] += 4
			total += 4
		}
	})
	slab := make([]float64, total)
	out := make([][]float64, len(counts))
	off := 0
	for r, n := range counts {
		out[r] = slab[off : off : off+n]
		off += n
	}
	each(func(ax, ay, bx, by float64, r0, r1 int) {
		for r := r0; r <= r1; r++ {
			out[r] = append(out[r], ax, ay, bx, by)
		}
	})
	return out
}

// segmentMeetsRect reports whether segment a–b meets the closed rectangle
// (Liang–Barsky clipping).
func segmentMeetsRect(ax, ay, bx, by, x0, y0, x1, y1 float64) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := bx-ax, by-ay
	for _, pq := range [4][2]float64{{-dx, ax - x0}, {dx, x1 - ax}, {-dy, ay - y0}, {dy, y1 - ay}} {
		p, q := pq[0], pq[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			t0 = max(t0, r)
		} else {
			if r < t0 {
				return false
			}
			t1 = min(t1, r)
		}
	}
	return true
}

// fill adds all cells to an empty grid (used when building from scratch).
// Two passes: count entries per bucket, then carve them out of one slab.
func (g *grid) fill(cells []*cell) {
	covs := make([]cover, len(cells))
	counts := make([]int32, g.nx*g.ny)
	total := 0
	for k, c := range cells {
		if c.empty {
			continue
		}
		cv, ok := g.coverage(c)
		if !ok {
			continue
		}
		covs[k] = cv
		for j := cv.j0; j <= cv.j1; j++ {
			for i := cv.i0; i <= cv.i1; i++ {
				if _, ok := cv.entry(c, i, j); ok {
					counts[j*g.nx+i]++
					total++
				}
			}
		}
	}
	slab := make([]entry, total)
	off := 0
	for j, row := range g.rows {
		for i := range row {
			n := int(counts[j*g.nx+i])
			row[i].list = slab[off : off : off+n] // full capacity: appends never spill into a neighbour
			off += n
		}
	}
	// Cells are sorted by code, so appending in order keeps buckets sorted.
	for k, c := range cells {
		cv := &covs[k]
		if cv.state == nil {
			continue
		}
		for j := cv.j0; j <= cv.j1; j++ {
			row := g.rows[j]
			for i := cv.i0; i <= cv.i1; i++ {
				if e, ok := cv.entry(c, i, j); ok {
					row[i].list = append(row[i].list, e)
				}
			}
		}
	}
	for _, row := range g.rows {
		for i := range row {
			row[i] = newBucket(row[i].list)
		}
	}
}

// clone returns a grid sharing all rows with g; mutate rows only through
// (*grid).ownRow.
func (g *grid) clone() *grid {
	g2 := *g
	g2.rows = slices.Clone(g.rows)
	return &g2
}

// ownRow returns row j for writing, copying it the first time it is written
// in this update (owned tracks which rows were copied).
func (g *grid) ownRow(j int, owned map[int]bool) []bucket {
	if !owned[j] {
		g.rows[j] = slices.Clone(g.rows[j])
		owned[j] = true
	}
	return g.rows[j]
}

// remove drops cell c (by identity) from every bucket it was added to.
// Bucket slices are never modified in place: they may be shared with older
// snapshots.
func (g *grid) remove(c *cell, owned map[int]bool) {
	if c.empty {
		return
	}
	b := c.bound
	if b.Max[0] < g.minX || b.Min[0] > g.maxX || b.Max[1] < g.minY || b.Min[1] > g.maxY {
		return
	}
	i0, i1 := g.col(b.Min[0]), g.col(b.Max[0])
	for j := g.row(b.Min[1]); j <= g.row(b.Max[1]); j++ {
		var row []bucket
		for i := i0; i <= i1; i++ {
			old := g.rows[j][i].list
			k := slices.IndexFunc(old, func(e entry) bool { return e.c == c })
			if k < 0 {
				continue
			}
			if row == nil {
				row = g.ownRow(j, owned)
			}
			nb := make([]entry, 0, len(old)-1)
			nb = append(append(nb, old[:k]...), old[k+1:]...)
			row[i] = newBucket(nb)
		}
	}
}

// add inserts cell c into the buckets it meets, keeping code order.
func (g *grid) add(c *cell, owned map[int]bool) {
	if c.empty {
		return
	}
	cv, ok := g.coverage(c)
	if !ok {
		return
	}
	for j := cv.j0; j <= cv.j1; j++ {
		var row []bucket
		for i := cv.i0; i <= cv.i1; i++ {
			e, ok := cv.entry(c, i, j)
			if !ok {
				continue
			}
			if row == nil {
				row = g.ownRow(j, owned)
			}
			old := row[i].list
			k, _ := slices.BinarySearchFunc(old, c.code, func(e entry, code string) int { return strings.Compare(e.c.code, code) })
			nb := make([]entry, 0, len(old)+1)
			nb = append(append(append(nb, old[:k]...), e), old[k:]...)
			row[i] = newBucket(nb)
		}
	}
}
