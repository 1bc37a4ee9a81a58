package coverage

import (
	"context"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// CheckGeometry reports why g is not a valid polygonal geometry, one
// Defect of kind InvalidGeometry per problem, located at the offending
// point: non-finite coordinates, unclosed rings, rings with fewer than three distinct points, spikes,
// self-intersecting or self-touching rings, crossing rings, holes outside
// their shell, holes oriented like their shell, and overlapping parts of a
// MultiPolygon. Either ring orientation convention is accepted as long as
// the holes run opposite to their shell. A nil result means valid; non-
// polygonal geometry is one defect. Repeated consecutive points are valid
// (OGC, PostGIS): they are Repeats' warnings, not defects.
//
// The work is bounded whatever the input: each ring's self-intersection
// sweep stops at its first crossing (a crossing ring is structurally
// invalid; listing its other crossings costs up to n² messages for nothing),
// at most MaxDefects defects are kept, and the pair tests check ctx every
// few thousand steps.
func CheckGeometry(g orb.Geometry) []Defect {
	ds, _, _ := checkGeometry(context.Background(), g)
	return ds
}

// CheckGeometryContext is CheckGeometry that stops when ctx is done,
// returning ctx's error (and the defects found so far).
func CheckGeometryContext(ctx context.Context, g orb.Geometry) ([]Defect, error) {
	ds, _, err := checkGeometry(ctx, g)
	return ds, err
}

// MaxDefects bounds the defects CheckGeometry reports for one geometry; the
// first one is what a client fixes first, and a hostile ring must not make
// the answer grow with its vertex count squared.
const MaxDefects = 32

// ctxEvery is how many pair tests run between cancellation checks.
const ctxEvery = 4096

// budget counts pair tests and checks ctx now and then.
type budget struct {
	ctx context.Context
	n   int
	err error
}

// step counts one unit of work and tells whether to stop.
func (b *budget) step() bool {
	if b.err != nil {
		return true
	}
	b.n++
	if b.n%ctxEvery == 0 {
		b.err = b.ctx.Err()
	}
	return b.err != nil
}

// checkGeometry also tells whether a defect is structural, i.e. the
// geometry cannot safely enter polygon overlay (repeated points, unclosed
// rings and orientation are repaired for analysis and are not).
func checkGeometry(ctx context.Context, g orb.Geometry) (ds []Defect, structural bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	bg := &budget{ctx: ctx}
	add := func(p orb.Point, hard bool, format string, args ...any) {
		structural = structural || hard
		if len(ds) >= MaxDefects {
			return
		}
		var loc orb.Geometry
		if !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0) {
			loc = p
		}
		ds = append(ds, Defect{Kind: InvalidGeometry, Geometry: loc, Message: fmt.Sprintf(format, args...)})
	}
	switch g.(type) {
	case orb.Polygon, orb.MultiPolygon:
	case nil:
		add(orb.Point{math.NaN(), 0}, true, "missing geometry")
		return ds, structural, nil
	default:
		add(orb.Point{math.NaN(), 0}, true, "not a polygon: %s", g.GeoJSONType())
		return ds, structural, nil
	}
	polys := polygonsOf(g)
	var cleaned [][][]orb.Point
	for pi, p := range polys {
		var rings [][]orb.Point
		shellCCW := false
		for ri, r := range p {
			what := "shell"
			if ri > 0 {
				what = fmt.Sprintf("hole %d", ri)
			}
			where := fmt.Sprintf("polygon %d %s", pi, what)
			last := orb.Point{math.NaN(), math.NaN()}
			for i, q := range r {
				if math.IsNaN(q[0]) || math.IsNaN(q[1]) || math.IsInf(q[0], 0) || math.IsInf(q[1], 0) {
					add(last, true, "%s: non-finite coordinate at vertex %d", where, i)
					continue
				}
				last = q
			}
			if len(r) > 0 && r[0] != r[len(r)-1] {
				add(r[0], false, "%s: ring not closed", where)
			}
			pts := cleanRing(r)
			if len(pts) < 4 {
				loc := orb.Point{math.NaN(), 0}
				if len(pts) > 0 {
					loc = pts[0]
				}
				add(loc, true, "%s: too few points (%d distinct)", where, max(len(pts)-1, 0))
				if ri == 0 {
					break
				}
				continue
			}
			ccw := signedArea2(pts) > 0
			if ri == 0 {
				shellCCW = ccw
			} else if ccw == shellCCW {
				add(pts[0], false, "%s: oriented like its shell", where)
			}
			for i := 0; i+1 < len(pts); i++ {
				a, b := pts[i], pts[(i+1)%len(pts)]
				c := pts[i+2-boolInt(i+2 >= len(pts))*(len(pts)-1)]
				if orient(a, b, c) == 0 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0 {
					add(b, true, "%s: spike at vertex %d", where, i+1)
				}
			}
			rings = append(rings, pts)
		}
		if len(rings) == 0 {
			continue
		}
		for _, d := range ringIntersections(bg, rings, pi) {
			add(d.at, true, "%s", d.msg)
		}
		for i := range rings {
			for j := i + 1; j < len(rings) && bg.err == nil; j++ {
				if p, ok := ringsCross(bg, rings[i], rings[j]); ok {
					add(p, true, "polygon %d: rings %d and %d cross", pi, i, j)
				}
			}
		}
		for hi, h := range rings[1:] {
			if loc := firstOffBoundary(h, rings[0]); loc == exterior {
				add(h[0], true, "polygon %d hole %d: outside its shell", pi, hi+1)
			}
		}
		cleaned = append(cleaned, rings)
	}
	for i := range cleaned {
		for j := i + 1; j < len(cleaned) && bg.err == nil; j++ {
			if p, ok := partsOverlap(bg, cleaned[i], cleaned[j]); ok {
				add(p, true, "parts %d and %d of the multipolygon cross or overlap", i, j)
			}
		}
	}
	if bg.err != nil {
		return ds, structural, bg.err
	}
	return ds, structural, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// firstOffBoundary locates the first vertex of ring r not on ring shell's
// boundary relative to shell (boundary if all are on it).
func firstOffBoundary(r, shell []orb.Point) location {
	for _, p := range r {
		if l := locateInRing(p, shell); l != boundary {
			return l
		}
	}
	return boundary
}

type ringDefect struct {
	at  orb.Point
	msg string
}

// ringIntersections finds self-intersections and self-touches within a
// ring, at most one per ring: the first makes the ring invalid, and a ring
// built to cross itself at every pair of edges has n²/4 of them. A sweep
// (sweepMeets, O(n log n) for any shape) clears valid rings; a ring it
// flags is searched for its first meeting pair through an R-tree of edge
// boxes (rtreeMeet), which stops there. Crossings between rings are
// ringsCross's.
func ringIntersections(bg *budget, rings [][]orb.Point, pi int) []ringDefect {
	var out []ringDefect
	for _, r := range rings {
		if !sweepMeets(bg, r) {
			if bg.err != nil {
				return out
			}
			continue
		}
		if p, ok := rtreeMeet(bg, r); ok {
			out = append(out, ringDefect{p, fmt.Sprintf("polygon %d: ring self-intersection", pi)})
		}
		if bg.err != nil {
			return out
		}
	}
	return out
}

// rtreeMeet finds two non-consecutive edges of ring r that meet, testing
// the pairs whose boxes overlap (each pair once), and where they meet.
func rtreeMeet(bg *budget, r []orb.Point) (orb.Point, bool) {
	var tr rtree.RTreeG[int]
	for i := 0; i+1 < len(r); i++ {
		tr.Insert(segMin(r[i], r[i+1]), segMax(r[i], r[i+1]), i)
	}
	n := len(r) - 1
	var at orb.Point
	found := false
	for a := 0; a < n && !found && bg.err == nil; a++ {
		tr.Search(segMin(r[a], r[a+1]), segMax(r[a], r[a+1]), func(_, _ [2]float64, b int) bool {
			if bg.step() {
				return false
			}
			if b <= a {
				return true // each pair once
			}
			if d := b - a; d == 1 || d == n-1 {
				return true // consecutive segments share a vertex; spikes are reported apart
			}
			h, p := intersect(r[a], r[a+1], r[b], r[b+1])
			if h == hitNone {
				return true
			}
			if h == hitCollinear {
				p = r[a]
				if !inBox(r[b], r[b+1], p) {
					p = r[a+1]
					if !inBox(r[b], r[b+1], p) {
						p = r[b]
					}
				}
			}
			at, found = p, true
			return false
		})
	}
	return at, found
}

func segMin(a, b orb.Point) [2]float64 { return [2]float64{min(a[0], b[0]), min(a[1], b[1])} }
func segMax(a, b orb.Point) [2]float64 { return [2]float64{max(a[0], b[0]), max(a[1], b[1])} }

// partsOverlap tells whether two polygons of a MultiPolygon share interior:
// their rings cross, or a vertex of one lies inside the other's shell.
func partsOverlap(bg *budget, a, b [][]orb.Point) (orb.Point, bool) {
	ba, bb := ringBound(a[0]), ringBound(b[0])
	if !ba.Intersects(bb) {
		return orb.Point{}, false
	}
	for _, ra := range a {
		for _, rb := range b {
			if p, ok := ringsCross(bg, ra, rb); ok {
				return p, true
			}
			if bg.err != nil {
				return orb.Point{}, false
			}
		}
	}
	if l := firstOffBoundary(a[0], b[0]); l == interior && !insideHole(a[0], b) {
		return a[0][0], true
	}
	if l := firstOffBoundary(b[0], a[0]); l == interior && !insideHole(b[0], a) {
		return b[0][0], true
	}
	return orb.Point{}, false
}

// ringsCross tells whether two distinct closed rings cross or share a
// line: a proper crossing, a collinear overlap, or a common point where one
// ring passes from one side of the other to its other side (JTS
// PolygonNodeTopology.isCrossing). Touching at points is allowed.
func ringsCross(bg *budget, a, b []orb.Point) (orb.Point, bool) {
	if !ringBound(a).Intersects(ringBound(b)) {
		return orb.Point{}, false
	}
	na, nb := len(a)-1, len(b)-1
	for i := 0; i < na; i++ {
		a0, a1 := a[i], a[i+1]
		sb := orb.Bound{Min: orb.Point{min(a0[0], a1[0]), min(a0[1], a1[1])}, Max: orb.Point{max(a0[0], a1[0]), max(a0[1], a1[1])}}
		for j := 0; j < nb; j++ {
			if bg.step() {
				return orb.Point{}, false
			}
			b0, b1 := b[j], b[j+1]
			if max(b0[0], b1[0]) < sb.Min[0] || min(b0[0], b1[0]) > sb.Max[0] || max(b0[1], b1[1]) < sb.Min[1] || min(b0[1], b1[1]) > sb.Max[1] {
				continue
			}
			h, p := intersect(a0, a1, b0, b1)
			switch h {
			case hitProper:
				return p, true
			case hitCollinear:
				return a0, true
			case hitEndpoint, hitInterior:
				// The node p: neighbours of p along each ring.
				aPrev, aNext := around(a, i, p)
				bPrev, bNext := around(b, j, p)
				if isCrossing(p, aPrev, aNext, bPrev, bNext) {
					return p, true
				}
			}
		}
	}
	return orb.Point{}, false
}

// around returns the ring vertices before and after point p, which lies on
// segment i (at an end or inside it).
func around(r []orb.Point, i int, p orb.Point) (orb.Point, orb.Point) {
	n := len(r) - 1
	switch p {
	case r[i]:
		return r[(i-1+n)%n], r[i+1]
	case r[i+1]:
		return r[i], r[(i+2)%n]
	}
	return r[i], r[i+1]
}

// isCrossing is JTS PolygonNodeTopology.isCrossing.
func isCrossing(node, a0, a1, b0, b1 orb.Point) bool {
	lo, hi := a0, a1
	if angleGreater(node, lo, hi) {
		lo, hi = a1, a0
	}
	c0 := compareBetween(node, b0, lo, hi)
	if c0 == 0 {
		return false
	}
	c1 := compareBetween(node, b1, lo, hi)
	if c1 == 0 {
		return false
	}
	return c0 != c1
}

func compareBetween(o, p, e0, e1 orb.Point) int {
	c0 := compareAngle(o, p, e0)
	if c0 == 0 {
		return 0
	}
	c1 := compareAngle(o, p, e1)
	if c1 == 0 {
		return 0
	}
	if c0 > 0 && c1 < 0 {
		return 1
	}
	return -1
}

func compareAngle(o, p, q orb.Point) int {
	qp, qq := quadrant(o, p), quadrant(o, q)
	if qp != qq {
		if qp > qq {
			return 1
		}
		return -1
	}
	return orient(o, q, p)
}

func insideHole(r []orb.Point, poly [][]orb.Point) bool {
	for _, h := range poly[1:] {
		if firstOffBoundary(r, h) != exterior {
			return true
		}
	}
	return false
}

func ringBound(r []orb.Point) orb.Bound {
	b := orb.Bound{Min: r[0], Max: r[0]}
	for _, p := range r {
		b = b.Extend(p)
	}
	return b
}
