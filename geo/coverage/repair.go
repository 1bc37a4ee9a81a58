package coverage

import (
	"context"
	"math"
	"slices"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// maxRepairVertices bounds the rings repair nodes (its R-tree search is
// fast, but a hostile star has n² crossings).
const maxRepairVertices = 20000

// Repair returns a valid polygonal copy of an invalid g, the way PostGIS's
// ST_MakeValid(g, 'method=structure') repairs it, for the offline validator
// (orb has no MakeValid): every ring is noded at the points where its edges
// meet and cut there into simple loops; a ring's area is its loops combined
// by even-odd (a bowtie: its two triangles; spikes and zero-area loops fold
// away); each polygon is its shell's area minus its holes', and the parts of
// a multipolygon are unioned (overlapping parts merge, as structure does).
// ok is false when the result is empty or still not valid (the caller then
// leaves the member out of the overlay, as before).
func Repair(g orb.Geometry) (orb.MultiPolygon, bool) {
	n := 0
	var parts []sf.Geometry
	for _, p := range polygonsOf(g) {
		var shell sf.Geometry
		for ri, r := range p {
			pts := cleanRing(r)
			n += len(pts)
			if n > maxRepairVertices {
				return nil, false
			}
			if len(pts) < 4 {
				if ri == 0 {
					break
				}
				continue
			}
			area, ok := evenOdd(splitLoops(node(pts)))
			if !ok {
				return nil, false
			}
			if ri == 0 {
				shell = area
				continue
			}
			next, err := safeOp(func() (sf.Geometry, error) { return sf.Difference(shell, area) })
			if err != nil {
				return nil, false
			}
			shell = next
		}
		if !shell.IsEmpty() {
			parts = append(parts, shell)
		}
	}
	if len(parts) == 0 {
		return nil, false
	}
	all, err := safeOp(func() (sf.Geometry, error) { return sf.UnionMany(parts) })
	if err != nil {
		return nil, false
	}
	out := fromSF(all)
	if len(out) == 0 {
		return nil, false
	}
	if _, hard, _ := checkGeometry(context.Background(), out); hard {
		return nil, false
	}
	return out, true
}

// evenOdd combines simple loops by symmetric difference.
func evenOdd(loops [][]orb.Point) (sf.Geometry, bool) {
	acc := sf.Geometry{}
	for _, l := range loops {
		g := sf.NewPolygon([]sf.LineString{toSFRing(orb.Ring(l))}).AsGeometry()
		next, err := safeOp(func() (sf.Geometry, error) { return sf.SymmetricDifference(acc, g) })
		if err != nil {
			return sf.Geometry{}, false
		}
		acc = next
	}
	return acc, true
}

// node inserts into closed ring pts every point where two of its edges
// meet (crossings, touches, the ends of collinear overlaps).
func node(pts []orb.Point) []orb.Point {
	n := len(pts) - 1
	extra := make([][]orb.Point, n)
	for a := 0; a < n; a++ {
		for b := a + 2; b < n; b++ {
			if a == 0 && b == n-1 {
				continue // consecutive through the closing vertex
			}
			h, p := intersect(pts[a], pts[a+1], pts[b], pts[b+1])
			switch h {
			case hitNone:
			case hitCollinear:
				for _, q := range []orb.Point{pts[b], pts[b+1]} {
					if inBox(pts[a], pts[a+1], q) {
						extra[a] = append(extra[a], q)
					}
				}
				for _, q := range []orb.Point{pts[a], pts[a+1]} {
					if inBox(pts[b], pts[b+1], q) {
						extra[b] = append(extra[b], q)
					}
				}
			default:
				extra[a] = append(extra[a], p)
				extra[b] = append(extra[b], p)
			}
		}
	}
	out := make([]orb.Point, 0, len(pts))
	for i := 0; i < n; i++ {
		out = appendDistinct(out, pts[i])
		a := pts[i]
		e := extra[i]
		slices.SortFunc(e, func(p, q orb.Point) int {
			dp, dq := math.Hypot(p[0]-a[0], p[1]-a[1]), math.Hypot(q[0]-a[0], q[1]-a[1])
			switch {
			case dp < dq:
				return -1
			case dp > dq:
				return 1
			}
			return 0
		})
		for _, q := range e {
			out = appendDistinct(out, q)
		}
	}
	return appendDistinct(out, pts[0])
}

func appendDistinct(out []orb.Point, p orb.Point) []orb.Point {
	if len(out) > 0 && out[len(out)-1] == p {
		return out
	}
	return append(out, p)
}

// splitLoops cuts a noded closed ring into its simple loops: walking it,
// a vertex met again closes the loop since its first visit. Loops without
// area (spikes, folded edges) are dropped.
func splitLoops(pts []orb.Point) [][]orb.Point {
	var out [][]orb.Point
	var stack []orb.Point
	at := map[orb.Point]int{}
	for _, p := range pts {
		if i, seen := at[p]; seen {
			loop := append(slices.Clone(stack[i:]), p)
			for _, q := range stack[i+1:] {
				delete(at, q)
			}
			stack = stack[:i+1]
			if len(loop) >= 4 && signedArea2(loop) != 0 {
				out = append(out, loop)
			}
			continue
		}
		at[p] = len(stack)
		stack = append(stack, p)
	}
	return out
}
