package coverage

import (
	"context"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Segment status while checking a target, as in JTS CoverageRing.
const (
	segUnknown uint8 = iota
	segMatched
	segInvalid
)

// engine runs the JTS/GEOS CoveragePolygonValidator checks over members
// indexed in an R-tree, so each member meets only its neighbours.
type engine struct {
	ms       []*member
	tree     rtree.RTreeG[int]
	gapWidth float64
	geo      bool // lon/lat: gapWidth is metres
}

// edgeResult is the outcome for one target member.
type edgeResult struct {
	status [][]uint8 // per ring, per segment
	pairs  []int     // neighbours whose interiors may overlap the target
}

func newEngine(ms []*member, gapWidth float64, geo bool) *engine {
	e := &engine{ms: ms, gapWidth: gapWidth, geo: geo}
	for i, m := range ms {
		if !m.empty {
			e.tree.Insert([2]float64{m.bound.Min[0], m.bound.Min[1]}, [2]float64{m.bound.Max[0], m.bound.Max[1]}, i)
		}
	}
	return e
}

// tol returns the gap width in coordinate units around latitude lat, the
// larger of the two axes so that envelope queries never miss.
func (e *engine) tol(lat float64) (float64, float64) {
	if e.gapWidth <= 0 {
		return 0, 0
	}
	if !e.geo {
		return e.gapWidth, e.gapWidth
	}
	kx, ky := metresPerDegree(lat)
	kx = max(kx, 1e-3) // poles: avoid an infinite box
	return e.gapWidth / kx, e.gapWidth / ky
}

func (e *engine) expand(b orb.Bound) orb.Bound {
	lat := max(abs(b.Min[1]), abs(b.Max[1]))
	tx, ty := e.tol(min(lat, 89.9))
	b.Min[0] -= tx
	b.Min[1] -= ty
	b.Max[0] += tx
	b.Max[1] += ty
	return b
}

// neighbours lists the non-empty members whose box meets t's box expanded by
// the gap width.
func (e *engine) neighbours(t int) []int {
	b := e.expand(e.ms[t].bound)
	var out []int
	e.tree.Search([2]float64{b.Min[0], b.Min[1]}, [2]float64{b.Max[0], b.Max[1]}, func(_, _ [2]float64, i int) bool {
		if i != t {
			out = append(out, i)
		}
		return true
	})
	return out
}

type segKey [4]float64

type segEntry struct {
	key               segKey
	member, ring, idx int32
	fwd               bool
}

// canonical orients a segment as if its ring had the interior on the right
// and then normalises its direction; fwd tells whether that kept it.
func canonical(r *cring, i int) (segKey, bool) {
	p0, p1 := r.pts[i], r.pts[i+1]
	if !r.interiorOnRight {
		p0, p1 = p1, p0
	}
	if p1[0] < p0[0] || (p1[0] == p0[0] && p1[1] < p0[1]) {
		return segKey{p1[0], p1[1], p0[0], p0[1]}, false
	}
	return segKey{p0[0], p0[1], p1[0], p1[1]}, true
}

// match marks the segments of the members in scope that are matched by an
// oppositely oriented equal segment (segMatched) or duplicated in the same
// orientation (segInvalid, the duplicate/overlap case of JTS). Members
// outside scope get nil. dup receives the pairs of members sharing a
// same-oriented segment.
func (e *engine) match(scope []int) (status [][][]uint8, dup map[[2]int]bool) {
	status = make([][][]uint8, len(e.ms))
	dup = map[[2]int]bool{}
	n := 0
	for _, mi := range scope {
		n += e.ms[mi].nseg
	}
	// Equal segments are grouped by sorting (cheaper than a hash map here).
	entries := make([]segEntry, 0, n)
	for _, mi := range scope {
		m := e.ms[mi]
		st := make([][]uint8, len(m.rings))
		for ri := range m.rings {
			r := &m.rings[ri]
			st[ri] = make([]uint8, len(r.pts)-1)
			for i := 0; i+1 < len(r.pts); i++ {
				k, fwd := canonical(r, i)
				entries = append(entries, segEntry{k, int32(mi), int32(ri), int32(i), fwd})
			}
		}
		status[mi] = st
	}
	// Sort 16-byte (hash, index) pairs rather than the entries themselves;
	// equal keys have equal hashes, and the rare collisions are split below.
	order := make([]hashIdx, len(entries))
	for i := range entries {
		order[i] = hashIdx{hashKey(entries[i].key), int32(i)}
	}
	slices.SortFunc(order, func(a, b hashIdx) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return int(a.i - b.i)
	})
	var group []segEntry
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && order[hi].h == order[lo].h {
			hi++
		}
		if hi-lo == 1 {
			lo = hi
			continue // a lone segment stays unknown
		}
		same := order[lo:hi]
		lo = hi
		done := make([]bool, len(same))
		for a := range same {
			if done[a] {
				continue
			}
			group = group[:0]
			k := entries[same[a].i].key
			for b := a; b < len(same); b++ {
				if !done[b] && entries[same[b].i].key == k {
					done[b] = true
					group = append(group, entries[same[b].i])
				}
			}
			markGroup(group, status, dup)
		}
	}
	return status, dup
}

type hashIdx struct {
	h uint64
	i int32
}

func hashKey(k segKey) uint64 {
	h := uint64(14695981039346656037)
	for _, f := range k {
		if f == 0 {
			f = 0 // -0 and +0 are the same coordinate
		}
		h ^= math.Float64bits(f)
		h *= 1099511628211
		h ^= h >> 29
	}
	return h
}

// markGroup sets the status of a group of equal segments: invalid when
// another has the same orientation (duplicate or overlap), matched when one
// runs opposite, unknown when alone.
func markGroup(group []segEntry, status [][][]uint8, dup map[[2]int]bool) {
	if len(group) < 2 {
		return
	}
	for a, ea := range group {
		same, opp := false, false
		for b, eb := range group {
			if a == b {
				continue
			}
			if eb.fwd == ea.fwd {
				same = true
				if eb.member != ea.member {
					dup[orderedPair(int(ea.member), int(eb.member))] = true
				}
			} else {
				opp = true
			}
		}
		switch {
		case same:
			status[ea.member][ea.ring][ea.idx] = segInvalid
		case opp:
			status[ea.member][ea.ring][ea.idx] = segMatched
		}
	}
}

func orderedPair(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

// checkAll runs the target checks for targets in parallel; status must come
// from match over a scope holding the targets and all their neighbours.
func (e *engine) checkAll(ctx context.Context, targets []int, status [][][]uint8) map[int]*edgeResult {
	res := make([]*edgeResult, len(targets))
	parallel(len(targets), func(k int) {
		if ctx.Err() != nil {
			return // the caller sees ctx's error
		}
		if t := targets[k]; status[t] != nil {
			res[k] = e.check(t, status[t])
		}
	})
	out := make(map[int]*edgeResult, len(targets))
	for k, t := range targets {
		if res[k] != nil {
			out[t] = res[k]
		}
	}
	return out
}

// check finds the invalid segments of target t given its matched statuses
// (modified in place): unmatched segments that interact with a neighbour's
// segment or lie in a neighbour's interior, as JTS CoveragePolygonValidator.
func (e *engine) check(t int, st [][]uint8) *edgeResult {
	res := &edgeResult{status: st}
	known := true
	for _, s := range st {
		for _, v := range s {
			if v == segUnknown {
				known = false
			}
		}
	}
	if known {
		return res
	}
	tm := e.ms[t]
	nbs := e.neighbours(t)
	pairs := map[int]bool{}
	// Interacting segments. Unlike JTS, which stops at the first invalid
	// interaction, every neighbour is visited so that the overlapping pairs
	// found do not depend on the order of the neighbours.
	for ri := range tm.rings {
		r := &tm.rings[ri]
		for i := 0; i+1 < len(r.pts); i++ {
			if st[ri][i] != segUnknown {
				continue
			}
			t0, t1 := r.pts[i], r.pts[i+1]
			sb := e.expand(orb.Bound{Min: orb.Point{min(t0[0], t1[0]), min(t0[1], t1[1])}, Max: orb.Point{max(t0[0], t1[0]), max(t0[1], t1[1])}})
			invalid := false
			for _, n := range nbs {
				nm := e.ms[n]
				if (invalid && pairs[n]) || !nm.bound.Intersects(sb) {
					continue
				}
				nm.segments(sb, func(ari, ai int) bool {
					ar := &nm.rings[ari]
					a0, a1 := ar.pts[ai], ar.pts[ai+1]
					if (t0 == a0 && t1 == a1) || (t0 == a1 && t1 == a0) {
						return true
					}
					if e.collinearOrInterior(t0, t1, a0, a1, ar, ai) {
						invalid = true
						pairs[n] = true
						return false
					}
					if !invalid && e.gapWidth > 0 && e.nearlyParallel(t0, t1, a0, a1) {
						invalid = true
					}
					return true
				})
			}
			if invalid {
				st[ri][i] = segInvalid
			}
		}
	}
	// Segments whose start vertex lies inside a neighbour polygon. Vertices
	// of segments already invalid are still tested, for the pairs only.
	const stride = 1000
	for ri := range tm.rings {
		r := &tm.rings[ri]
		ns := len(r.pts) - 1
		for s := 0; s < ns; s += stride {
			end := min(s+stride, ns)
			sec := orb.Bound{Min: r.pts[s], Max: r.pts[s]}
			for i := s; i <= end; i++ {
				sec = sec.Extend(r.pts[i])
			}
			for _, n := range nbs {
				nm := e.ms[n]
				for pi := range nm.polys {
					if !nm.polys[pi].bound.Intersects(sec) {
						continue
					}
					for i := s; i < end; i++ {
						known := st[ri][i] != segUnknown
						if st[ri][i] == segMatched || (known && pairs[n]) {
							continue
						}
						if nm.locate(pi, r.pts[i]) != interior {
							continue
						}
						pairs[n] = true
						if known {
							continue
						}
						st[ri][i] = segInvalid
						prev := i - 1
						if i == 0 {
							prev = ns - 1
						}
						if st[ri][prev] == segUnknown {
							st[ri][prev] = segInvalid
						}
					}
				}
			}
		}
	}
	for n := range pairs {
		res.pairs = append(res.pairs, n)
	}
	return res
}

// collinearOrInterior is JTS InvalidSegmentDetector.isCollinearOrInterior.
func (e *engine) collinearOrInterior(t0, t1, a0, a1 orb.Point, adj *cring, ai int) bool {
	h, p := intersect(t0, t1, a0, a1)
	switch h {
	case hitNone:
		return false
	case hitCollinear, hitInterior, hitProper:
		return true
	}
	tEnd := t1
	if p == t1 {
		tEnd = t0
	}
	prev, next := adj.vertexPrev(ai, p), adj.vertexNext(ai, p)
	if tEnd == prev || tEnd == next {
		return false
	}
	if !adj.interiorOnRight {
		prev, next = next, prev
	}
	return isInteriorSegment(p, prev, next, tEnd)
}

func (r *cring) vertexPrev(i int, p orb.Point) orb.Point {
	n := len(r.pts)
	for k := 0; k < n && r.pts[i] == p; k++ {
		if i == 0 {
			i = n - 2
		} else {
			i--
		}
	}
	return r.pts[i]
}

func (r *cring) vertexNext(i int, p orb.Point) orb.Point {
	n := len(r.pts)
	i++
	for k := 0; k < n && r.pts[i] == p; k++ {
		if i < n-2 {
			i++
		} else {
			i = 0
		}
	}
	return r.pts[i]
}

// isInteriorSegment is JTS PolygonNodeTopology.isInteriorSegment: whether
// segment node→b lies inside the corner a0-node-a1 whose interior is on
// the right going a0→node→a1.
func isInteriorSegment(node, a0, a1, b orb.Point) bool {
	lo, hi := a0, a1
	between := true
	if angleGreater(node, lo, hi) {
		lo, hi = a1, a0
		between = false
	}
	isB := angleGreater(node, b, lo) && !angleGreater(node, b, hi)
	return isB == between
}

func quadrant(o, p orb.Point) int {
	dx, dy := p[0]-o[0], p[1]-o[1]
	switch {
	case dx >= 0 && dy >= 0:
		return 0
	case dx < 0 && dy >= 0:
		return 1
	case dx < 0:
		return 2
	}
	return 3
}

func angleGreater(o, p, q orb.Point) bool {
	qp, qq := quadrant(o, p), quadrant(o, q)
	if qp != qq {
		return qp > qq
	}
	return orient(o, q, p) > 0
}

// nearlyParallel is JTS InvalidSegmentDetector.isNearlyParallel, measured in
// metres around the target segment for lon/lat input.
func (e *engine) nearlyParallel(p00, p01, p10, p11 orb.Point) bool {
	if e.geo {
		kx, ky := metresPerDegree(p00[1])
		o := p00
		f := func(p orb.Point) orb.Point { return orb.Point{(p[0] - o[0]) * kx, (p[1] - o[1]) * ky} }
		p00, p01, p10, p11 = f(p00), f(p01), f(p10), f(p11)
	}
	tol := e.gapWidth
	a0, a1, ok := project(p00, p01, p10, p11)
	if !ok {
		return false
	}
	b0, b1, ok := project(p10, p11, p00, p01)
	if !ok {
		return false
	}
	if dist(a0, a1) <= tol || dist(b0, b1) <= tol {
		return false
	}
	if dist(a0, b1) < dist(a0, b0) {
		b0, b1 = b1, b0
	}
	return dist(a0, b0) <= tol && dist(a1, b1) <= tol
}

func dist(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

func projFactor(p0, p1, p orb.Point) float64 {
	if p == p0 {
		return 0
	}
	if p == p1 {
		return 1
	}
	dx, dy := p1[0]-p0[0], p1[1]-p0[1]
	l2 := dx*dx + dy*dy
	return ((p[0]-p0[0])*dx + (p[1]-p0[1])*dy) / l2
}

// project is JTS LineSegment.project(seg): seg q0q1 projected onto p0p1,
// clamped to it; false when the projection misses.
func project(p0, p1, q0, q1 orb.Point) (orb.Point, orb.Point, bool) {
	f0, f1 := projFactor(p0, p1, q0), projFactor(p0, p1, q1)
	if (f0 >= 1 && f1 >= 1) || (f0 <= 0 && f1 <= 0) {
		return orb.Point{}, orb.Point{}, false
	}
	at := func(f float64, q orb.Point) orb.Point {
		switch {
		case f < 0:
			return p0
		case f > 1:
			return p1
		case q == p0 || q == p1:
			return q
		}
		return orb.Point{p0[0] + f*(p1[0]-p0[0]), p0[1] + f*(p1[1]-p0[1])}
	}
	return at(f0, q0), at(f1, q1), true
}

// invalidLines joins maximal runs of invalid segments of a ring into lines,
// wrapping around the ring start, as JTS CoverageRing.createInvalidLines.
func invalidLines(r *cring, st []uint8) []orb.LineString {
	n := len(st)
	any, all := false, true
	for _, v := range st {
		if v == segInvalid {
			any = true
		} else {
			all = false
		}
	}
	if !any {
		return nil
	}
	if all {
		return []orb.LineString{append(orb.LineString(nil), r.pts...)}
	}
	next := func(i int) int {
		if i >= n-1 {
			return 0
		}
		return i + 1
	}
	start := func(i int) int {
		for st[i] != segInvalid {
			i = next(i)
		}
		return i
	}
	end := func(i int) int {
		i = next(i)
		for st[i] == segInvalid {
			i = next(i)
		}
		return i
	}
	var out []orb.LineString
	s := start(0)
	firstEnd := end(s)
	e := firstEnd
	for {
		s = start(e)
		e = end(s)
		var ls orb.LineString
		if e < s {
			for i := s; ; i = next(i) {
				ls = append(ls, r.pts[i])
				if i == e && len(ls) > 1 {
					break
				}
			}
		} else {
			ls = append(ls, r.pts[s:e+1]...)
		}
		out = append(out, ls)
		if e == firstEnd {
			break
		}
	}
	return out
}

// memberLines collects the invalid edges of a member as a LineString or
// MultiLineString, or nil when it has none.
func memberLines(m *member, st [][]uint8) orb.Geometry {
	var ls []orb.LineString
	for ri := range m.rings {
		if st == nil {
			break
		}
		ls = append(ls, invalidLines(&m.rings[ri], st[ri])...)
	}
	switch len(ls) {
	case 0:
		return nil
	case 1:
		return ls[0]
	}
	return orb.MultiLineString(ls)
}

// InvalidEdges returns, per member, its invalid edges with the semantics of
// the JTS/GEOS CoverageValidator in plain coordinate units: edges not matched
// exactly by a neighbour's edge that cross or touch a neighbour's edge away
// from a shared vertex, lie in a neighbour's interior, or (gapWidth > 0) run
// within gapWidth of a neighbour's edge. A nil entry means the member is
// valid in the coverage; empty or non-polygonal members are always nil.
// Members are assumed to be valid polygons; repeated points are ignored.
func InvalidEdges(members []orb.Geometry, gapWidth float64) []orb.Geometry {
	ms := make([]*member, len(members))
	all := make([]int, 0, len(members))
	for i, g := range members {
		ms[i] = newMember(g)
		if !ms[i].empty {
			all = append(all, i)
		}
	}
	e := newEngine(ms, gapWidth, false)
	status, _ := e.match(all)
	res := e.checkAll(context.Background(), all, status)
	out := make([]orb.Geometry, len(members))
	for i, r := range res {
		out[i] = memberLines(ms[i], r.status)
	}
	return out
}
