package coverage

import (
	"math/rand/v2"
	"slices"

	"github.com/paulmach/orb"
)

// sweepMeets tells whether two non-consecutive edges of the closed ring r
// (r[0] == r[len(r)-1], no consecutive repeats) meet: cross, touch or
// overlap. It is the Shamos–Hoey sweep, O(n log n) whatever the shape: the
// R-tree of edge boxes costs n² pair tests on a ring whose long edges' boxes
// all overlap (a "sun" or a tilted comb) although no two edges meet. Exact
// orientation predicates; a spike (consecutive edges folding back) makes the
// sweep's order undefined, so such rings answer true ("look closer").
func sweepMeets(bg *budget, r []orb.Point) bool {
	n := len(r) - 1
	if n < 3 {
		return false
	}
	for i := range n {
		a, b, c := r[(i+n-1)%n], r[i], r[i+1]
		if orient(a, b, c) == 0 && (b[0]-a[0])*(c[0]-b[0])+(b[1]-a[1])*(c[1]-b[1]) < 0 {
			return true
		}
	}
	sw := sweep{r: r, n: n, root: -1, segs: make([]sweepSeg, n), rng: rand.New(rand.NewPCG(uint64(n), 7))}
	type event struct {
		p     orb.Point
		seg   int
		start bool
	}
	events := make([]event, 0, 2*n)
	for i := range n {
		l, rt := r[i], r[i+1]
		if less(rt, l) {
			l, rt = rt, l
		}
		sw.segs[i] = sweepSeg{l: l, r: rt}
		events = append(events, event{l, i, true}, event{rt, i, false})
	}
	slices.SortFunc(events, func(a, b event) int {
		switch {
		case less(a.p, b.p):
			return -1
		case less(b.p, a.p):
			return 1
		}
		return 0
	})
	for k := 0; k < len(events); {
		p := events[k].p
		j := k
		for j < len(events) && events[j].p == p {
			j++
		}
		if j-k > 2 { // the ring passes p twice
			return true
		}
		// Edges ending at p leave; then nothing still active may pass
		// through p, and the two edges now side by side must not meet.
		for _, e := range events[k:j] {
			if !e.start {
				sw.root = sw.remove(sw.root, e.seg)
			}
		}
		below, above, on := sw.around(p)
		if on {
			return true
		}
		if below >= 0 && above >= 0 && sw.meets(below, above) {
			return true
		}
		for _, e := range events[k:j] {
			if !e.start {
				continue
			}
			sw.root = sw.insert(sw.root, e.seg)
			if b, a := sw.neighbours(e.seg); (b >= 0 && sw.meets(b, e.seg)) || (a >= 0 && sw.meets(a, e.seg)) {
				return true
			}
		}
		k = j
		if bg.step() {
			return false // the caller sees bg.err
		}
	}
	return false
}

// less orders points left to right, then bottom to top (the sweep order).
func less(a, b orb.Point) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }

type sweepSeg struct{ l, r orb.Point }

// sweep holds the active edges in a treap ordered bottom to top.
type sweep struct {
	r     []orb.Point
	n     int
	segs  []sweepSeg
	nodes []treapNode
	root  int32
	rng   *rand.Rand
}

type treapNode struct {
	seg         int
	prio        uint32
	left, right int32
}

// below tells whether active edge a lies below active edge b where both
// span the sweep line: the one that starts later is compared with the
// other's line (at its left end, or along its direction when they start
// together). Exact while no two active edges meet.
func (s *sweep) below(a, b int) bool {
	sa, sb := s.segs[a], s.segs[b]
	if !less(sa.l, sb.l) { // a starts at or after b
		o := orient(sb.l, sb.r, sa.l)
		if o == 0 {
			o = orient(sb.l, sb.r, sa.r)
		}
		if o != 0 {
			return o < 0
		}
	} else {
		o := orient(sa.l, sa.r, sb.l)
		if o == 0 {
			o = orient(sa.l, sa.r, sb.r)
		}
		if o != 0 {
			return o > 0
		}
	}
	return a < b // collinear overlap: reported by meets, any order will do
}

// meets tests two edges that are not consecutive in the ring.
func (s *sweep) meets(a, b int) bool {
	if d := (a - b + s.n) % s.n; d == 1 || d == s.n-1 || a == b {
		return false
	}
	h, _ := intersect(s.r[a], s.r[a+1], s.r[b], s.r[b+1])
	return h != hitNone
}

func (s *sweep) insert(t int32, seg int) int32 {
	if t < 0 {
		s.nodes = append(s.nodes, treapNode{seg: seg, prio: s.rng.Uint32(), left: -1, right: -1})
		return int32(len(s.nodes) - 1)
	}
	nd := &s.nodes[t]
	if s.below(seg, nd.seg) {
		l := s.insert(nd.left, seg)
		s.nodes[t].left = l
		if s.nodes[l].prio > s.nodes[t].prio {
			return s.rotateRight(t)
		}
	} else {
		rt := s.insert(nd.right, seg)
		s.nodes[t].right = rt
		if s.nodes[rt].prio > s.nodes[t].prio {
			return s.rotateLeft(t)
		}
	}
	return t
}

func (s *sweep) rotateRight(t int32) int32 {
	l := s.nodes[t].left
	s.nodes[t].left = s.nodes[l].right
	s.nodes[l].right = t
	return l
}

func (s *sweep) rotateLeft(t int32) int32 {
	rt := s.nodes[t].right
	s.nodes[t].right = s.nodes[rt].left
	s.nodes[rt].left = t
	return rt
}

func (s *sweep) remove(t int32, seg int) int32 {
	if t < 0 {
		return t
	}
	nd := s.nodes[t]
	switch {
	case nd.seg == seg:
		if nd.left < 0 {
			return nd.right
		}
		if nd.right < 0 {
			return nd.left
		}
		if s.nodes[nd.left].prio > s.nodes[nd.right].prio {
			t = s.rotateRight(t)
			s.nodes[t].right = s.remove(s.nodes[t].right, seg)
		} else {
			t = s.rotateLeft(t)
			s.nodes[t].left = s.remove(s.nodes[t].left, seg)
		}
	case s.below(seg, nd.seg):
		s.nodes[t].left = s.remove(nd.left, seg)
	default:
		s.nodes[t].right = s.remove(nd.right, seg)
	}
	return t
}

// around finds the active edges just below and just above point p (-1:
// none), and whether an active edge passes through p.
func (s *sweep) around(p orb.Point) (below, above int, on bool) {
	below, above = -1, -1
	for t := s.root; t >= 0; {
		nd := s.nodes[t]
		g := s.segs[nd.seg]
		switch o := orient(g.l, g.r, p); {
		case o == 0:
			return below, above, true
		case o > 0: // p above the edge
			below, t = nd.seg, nd.right
		default:
			above, t = nd.seg, nd.left
		}
	}
	return below, above, false
}

// neighbours are the edges just below and just above active edge seg.
func (s *sweep) neighbours(seg int) (below, above int) {
	below, above = -1, -1
	for t := s.root; t >= 0; {
		nd := s.nodes[t]
		switch {
		case nd.seg == seg:
			for c := nd.left; c >= 0; c = s.nodes[c].right {
				below = s.nodes[c].seg
			}
			for c := nd.right; c >= 0; c = s.nodes[c].left {
				above = s.nodes[c].seg
			}
			return below, above
		case s.below(seg, nd.seg):
			above, t = nd.seg, nd.left
		default:
			below, t = nd.seg, nd.right
		}
	}
	return below, above
}
