package coverage

import (
	"slices"

	"github.com/paulmach/orb"
)

// Options tune a validation. Distances are metres for lon/lat input and
// coordinate units when Planar is set.
type Options struct {
	// Planar treats coordinates as plane units instead of WGS-84 lon/lat.
	Planar bool
	// GapWidth > 0 also flags edges running within this distance of a
	// neighbour's edge without matching it (JTS/GEOS gapWidth).
	GapWidth float64
	// Tolerance > 0 reports overlaps and gaps thinner than this
	// (2·area/perimeter) as Sliver instead of Overlap or Gap.
	Tolerance float64
}

// Kind names a defect class.
type Kind string

// Defect kinds, in report order.
const (
	InvalidGeometry Kind = "invalid_geometry"
	Overlap         Kind = "overlap"
	Gap             Kind = "gap"
	OutsideParent   Kind = "outside_parent"
	Sliver          Kind = "sliver"
	InvalidEdge     Kind = "invalid_edge"
)

var kindOrder = map[Kind]int{InvalidGeometry: 0, Overlap: 1, Gap: 2, OutsideParent: 3, Sliver: 4, InvalidEdge: 5}

// Units of Defect.Size.
const (
	UnitSquareMetres = "m2"
	UnitMetres       = "m"
	UnitPlanar       = "planar"
)

// Defect is one problem found in a coverage. Features holds 0-based member
// indices (two for an overlap, the bordering members for a gap, may be
// empty when no member could be named). Geometry locates it: a Point for
// invalid geometry (nil if the point is not finite), (Multi)Polygon for
// overlaps, gaps, slivers and outside parts, (Multi)LineString for invalid
// edges. Size is an area (m², or planar units² with Unit "planar") or, for
// invalid edges, a length (m or planar units); invalid geometry has size 0.
type Defect struct {
	Kind     Kind
	Features []int
	Geometry orb.Geometry
	Size     float64
	Unit     string
	Message  string
}

// Report is the result of a validation.
type Report struct {
	// Defects sorted by kind, then first feature.
	Defects []Defect
	// Warnings are what is valid but worth saying (RepeatedVertex), by
	// feature; they never make a coverage invalid.
	Warnings []Defect
	// Members is the number of input members.
	Members int
	// Area is the summed area of the members (m² or planar units²).
	Area float64
}

// Count returns the number of defects of kind k.
func (r Report) Count(k Kind) int {
	n := 0
	for _, d := range r.Defects {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// Of returns the defects of kind k, in report order.
func (r Report) Of(k Kind) []Defect {
	var out []Defect
	for _, d := range r.Defects {
		if d.Kind == k {
			out = append(out, d)
		}
	}
	return out
}

func sortDefects(ds []Defect) {
	slices.SortStableFunc(ds, func(a, b Defect) int {
		if c := kindOrder[a.Kind] - kindOrder[b.Kind]; c != 0 {
			return c
		}
		return slices.Compare(a.Features, b.Features)
	})
}
