package coverage

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
)

// Validator holds a prepared coverage and its defects. (An incremental
// Revalidate existed; nothing called it, so it went: the server validates a
// community in full, which takes milliseconds at its size.)
type Validator struct {
	opt        Options
	geoms      []orb.Geometry
	parent     orb.Geometry
	ms         []*member
	areas      []float64
	structural []bool
	checked    [][]Defect // each member's own geometry defects (of the input, not its repair)
	repaired   []bool     // analysed on its Repair copy
	repeats    [][]Defect // RepeatedVertex warnings of the input
	eng        *engine
	status     [][][]uint8
	pairs      map[[2]int]bool
	defects    []Defect
	warnings   []Defect
	ctx        context.Context
	err        error // ctx's, once it is done: the validation stopped
}

// Validate checks that members (Polygon/MultiPolygon, lon/lat unless
// opt.Planar) form a coverage of parent (nil: no parent; only overlaps,
// invalid geometry, invalid edges and holes of the union are judged). It
// never panics; see the package doc for enclaves and slivers.
func Validate(members []orb.Geometry, parent orb.Geometry, opt Options) Report {
	r, _ := ValidateContext(context.Background(), members, parent, opt)
	return r
}

// ValidateContext is Validate that stops when ctx is done (checked between
// members, edge checks and overlay pairs, and inside each geometry check),
// returning ctx's error and an incomplete report.
func ValidateContext(ctx context.Context, members []orb.Geometry, parent orb.Geometry, opt Options) (Report, error) {
	v := newValidator(ctx, members, parent, opt)
	return v.Report(), v.err
}

// newValidator prepares members and runs a full validation.
func newValidator(ctx context.Context, members []orb.Geometry, parent orb.Geometry, opt Options) *Validator {
	v := &Validator{opt: opt, geoms: slices.Clone(members), parent: parent, pairs: map[[2]int]bool{}, ctx: ctx}
	v.ms = make([]*member, len(members))
	v.areas = make([]float64, len(members))
	v.structural = make([]bool, len(members))
	v.checked = make([][]Defect, len(members))
	v.repaired = make([]bool, len(members))
	v.repeats = make([][]Defect, len(members))
	all := make([]int, len(members))
	parallel(len(members), func(i int) {
		// A structurally invalid member would hide its overlaps and gaps with
		// its neighbours: they are judged on a repaired copy (Repair, as
		// ST_MakeValid), its own defects on the input.
		ds, hard, _ := checkGeometry(ctx, members[i])
		v.checked[i], v.structural[i], v.repeats[i] = ds, hard, Repeats(members[i])
		if hard && ctx.Err() == nil {
			if r, ok := Repair(members[i]); ok {
				v.geoms[i], v.structural[i], v.repaired[i] = r, false, true
			}
		}
		v.ms[i] = newMember(v.geoms[i])
		v.areas[i] = polygonArea(v.geoms[i], opt.Planar)
		all[i] = i
	})
	if v.stopped() {
		return v
	}
	v.eng = newEngine(v.ms, opt.GapWidth, !opt.Planar)
	v.status = make([][][]uint8, len(members))
	v.run(all)
	return v
}

// stopped tells whether ctx is done, remembering its error.
func (v *Validator) stopped() bool {
	if v.err == nil {
		v.err = v.ctx.Err()
	}
	return v.err != nil
}

// Report returns the current defects.
func (v *Validator) Report() Report {
	r := Report{Defects: slices.Clone(v.defects), Warnings: slices.Clone(v.warnings), Members: len(v.ms)}
	for _, a := range v.areas {
		r.Area += a
	}
	sortDefects(r.Defects)
	return r
}

func (v *Validator) unitArea() string {
	if v.opt.Planar {
		return UnitPlanar
	}
	return UnitSquareMetres
}

func (v *Validator) unitLength() string {
	if v.opt.Planar {
		return UnitPlanar
	}
	return UnitMetres
}

// run validates targets (all members).
func (v *Validator) run(targets []int) {
	checked := make([][]Defect, len(targets))
	warned := make([][]Defect, len(targets))
	parallel(len(targets), func(k int) {
		i := targets[k]
		warned[k] = v.repeats[i]
		for j := range warned[k] {
			warned[k][j].Features = []int{i}
		}
		ds := v.checked[i]
		for j := range ds {
			ds[j].Features = []int{i}
			ds[j].Unit = v.unitArea()
		}
		checked[k] = ds
	})
	for k, ds := range checked {
		v.defects = append(v.defects, ds...)
		v.warnings = append(v.warnings, warned[k]...)
	}
	if v.stopped() {
		return
	}
	// Scope for matching: targets and their neighbours.
	scopeSet := map[int]bool{}
	for _, t := range targets {
		if v.ms[t].empty {
			continue
		}
		scopeSet[t] = true
	}
	scope := make([]int, 0, len(scopeSet))
	for i := range scopeSet {
		scope = append(scope, i)
	}
	slices.Sort(scope)
	status, dup := v.eng.match(scope)
	if v.stopped() {
		return
	}
	inTargets := map[int]bool{}
	for _, t := range targets {
		inTargets[t] = true
		v.status[t] = status[t]
	}
	res := v.eng.checkAll(v.ctx, targets, status)
	if v.stopped() {
		return
	}
	for _, t := range targets {
		r := res[t]
		if r == nil {
			continue
		}
		if g := memberLines(v.ms[t], r.status); g != nil {
			v.defects = append(v.defects, Defect{Kind: InvalidEdge, Features: []int{t}, Geometry: g,
				Size: geometryLength(g, v.opt.Planar), Unit: v.unitLength(),
				Message: "edges not matched by a neighbour that cross, touch or overlap it" + v.gapNote()})
		}
		for _, n := range r.pairs {
			v.pairs[orderedPair(t, n)] = true
		}
	}
	for p := range dup {
		if inTargets[p[0]] || inTargets[p[1]] {
			v.pairs[p] = true
		}
	}
	v.overlaps(inTargets)
	if v.stopped() {
		return
	}
	v.gaps()
	for j := range v.defects {
		d := &v.defects[j]
		if d.Kind == InvalidGeometry {
			continue
		}
		for _, f := range d.Features {
			if v.repaired[f] {
				d.Message += fmt.Sprintf(" (feature %d judged on its repaired copy, as ST_MakeValid would repair it)", f)
			}
		}
	}
}

func (v *Validator) gapNote() string {
	if v.opt.GapWidth > 0 {
		return fmt.Sprintf(", or run within %g of one (narrow gap)", v.opt.GapWidth)
	}
	return ""
}

// overlaps computes the overlap polygon of every candidate pair touching
// the targets; pairs with an invalid member are skipped.
func (v *Validator) overlaps(inTargets map[int]bool) {
	pairs := make([][2]int, 0, len(v.pairs))
	for p := range v.pairs {
		if inTargets[p[0]] || inTargets[p[1]] {
			pairs = append(pairs, p)
		}
	}
	slices.SortFunc(pairs, func(a, b [2]int) int { return slices.Compare(a[:], b[:]) })
	for _, p := range pairs {
		if v.stopped() {
			return
		}
		if v.structural[p[0]] || v.structural[p[1]] {
			continue
		}
		mp, err := intersection(v.geoms[p[0]], v.geoms[p[1]])
		if err != nil {
			v.defects = append(v.defects, Defect{Kind: Overlap, Features: []int{p[0], p[1]}, Unit: v.unitArea(),
				Message: "members interact but their overlap could not be computed: " + err.Error()})
			continue
		}
		if d, ok := v.areaDefect(Overlap, mp, []int{p[0], p[1]}); ok {
			v.defects = append(v.defects, d)
		}
	}
}

// areaDefect builds an overlap or gap defect (or a sliver when thin) from a
// polygonal result, or false when it has no area.
func (v *Validator) areaDefect(k Kind, mp orb.MultiPolygon, features []int) (Defect, bool) {
	a := polygonArea(mp, v.opt.Planar)
	if a <= 0 || len(mp) == 0 {
		return Defect{}, false
	}
	var g orb.Geometry = mp
	if len(mp) == 1 {
		g = mp[0]
	}
	per := geometryLength(mp, v.opt.Planar)
	width := 2 * a / per
	d := Defect{Kind: k, Features: features, Geometry: g, Size: a, Unit: v.unitArea()}
	what := string(k)
	if k == OutsideParent {
		what = "part outside the parent"
	}
	d.Message = fmt.Sprintf("%s, mean width %.3g", what, width)
	if v.opt.Tolerance > 0 && width < v.opt.Tolerance && k != OutsideParent {
		d.Kind = Sliver
		d.Message = fmt.Sprintf("%s sliver, mean width %.3g below tolerance %g", what, width, v.opt.Tolerance)
	}
	return d, true
}

// parallel calls fn(0..n-1) on GOMAXPROCS goroutines.
func parallel(n int, fn func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				fn(k)
			}
		}()
	}
	wg.Wait()
}
