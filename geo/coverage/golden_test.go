package coverage

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func sq(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

type kindSize struct {
	kind     Kind
	features []int
	size     float64
}

func TestValidateGolden(t *testing.T) {
	ring8 := []orb.Geometry{}
	for _, c := range [][2]float64{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {2, 1}, {0, 2}, {1, 2}, {2, 2}} {
		ring8 = append(ring8, sq(c[0], c[1], c[0]+1, c[1]+1))
	}
	withHole := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {0, 3}, {0, 0}}, {{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}}}
	cases := []struct {
		name    string
		members []orb.Geometry
		parent  orb.Geometry
		opt     Options
		want    []kindSize // exact kinds/features, sizes within 1e-9 (size<0: any)
	}{
		{name: "clean 2x2 partition with parent",
			members: []orb.Geometry{sq(0, 0, 1, 1), sq(1, 0, 2, 1), sq(0, 1, 1, 2), sq(1, 1, 2, 2)},
			parent:  sq(0, 0, 2, 2)},
		{name: "clean 2x2 partition without parent",
			members: []orb.Geometry{sq(0, 0, 1, 1), sq(1, 0, 2, 1), sq(0, 1, 1, 2), sq(1, 1, 2, 2)}},
		{name: "touching at a vertex only is valid",
			members: []orb.Geometry{sq(0, 0, 1, 1), sq(1, 1, 2, 2)}},
		{name: "overlap of two squares",
			members: []orb.Geometry{sq(0, 0, 2, 2), sq(1, 1, 3, 3)},
			want:    []kindSize{{Overlap, []int{0, 1}, 1}, {InvalidEdge, []int{0}, 4}, {InvalidEdge, []int{1}, 4}}},
		{name: "thin overlap is a sliver with a tolerance",
			members: []orb.Geometry{sq(0, 0, 1.01, 1), sq(1, 0, 2, 1)},
			opt:     Options{Tolerance: 0.1},
			want:    []kindSize{{Sliver, []int{0, 1}, 0.01}, {InvalidEdge, []int{0}, -1}, {InvalidEdge, []int{1}, -1}}},
		{name: "duplicate member overlaps fully",
			members: []orb.Geometry{sq(0, 0, 1, 1), sq(0, 0, 1, 1)},
			want:    []kindSize{{Overlap, []int{0, 1}, 1}, {InvalidEdge, []int{0}, 4}, {InvalidEdge, []int{1}, 4}}},
		{name: "gap inside the parent",
			members: []orb.Geometry{sq(0, 0, 1, 2), sq(1.5, 0, 3, 2)},
			parent:  sq(0, 0, 3, 2),
			want:    []kindSize{{Gap, []int{0, 1}, 1}}},
		{name: "hole of the union is a gap without parent",
			members: ring8,
			want:    []kindSize{{Gap, []int{0, 1, 2, 3, 4, 5, 6, 7}, 1}}},
		{name: "enclave that is a hole of the parent is not a gap",
			members: ring8,
			parent:  withHole},
		{name: "part outside the parent",
			members: []orb.Geometry{sq(0, 0, 1, 1), sq(1, 0, 2.5, 1)},
			parent:  sq(0, 0, 2, 1),
			want:    []kindSize{{OutsideParent, []int{1}, 0.5}}},
		{name: "hole filled by another member",
			members: []orb.Geometry{withHole, sq(1, 1, 2, 2)}},
		{name: "T-junction: neighbour vertex on my edge",
			members: []orb.Geometry{sq(0, 0, 2, 2), sq(2, 0, 4, 1), sq(2, 1, 4, 2)},
			want:    []kindSize{{InvalidEdge, []int{0}, 2}, {InvalidEdge, []int{1}, 1}, {InvalidEdge, []int{2}, 1}}},
		{name: "narrow gap flagged by gap width",
			members: []orb.Geometry{sq(0, 0, 1, 1), sq(1.05, 0, 2, 1)},
			parent:  sq(0, 0, 2, 1),
			opt:     Options{GapWidth: 0.1},
			want:    []kindSize{{Gap, []int{0, 1}, 0.05}, {InvalidEdge, []int{0}, 1}, {InvalidEdge, []int{1}, 1}}},
		{name: "spike",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {1, 0.5}, {1.5, 0.5}, {1, 0.5}, {1, 1}, {0, 1}, {0, 0}}}},
			// the spike tip, and the ring touching itself at the spike base
			want: []kindSize{{InvalidGeometry, []int{0}, 0}, {InvalidGeometry, []int{0}, 0}}},
		{name: "repeated points are valid (a warning, see TestRepeatsWarn)",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, sq(1, 0, 2, 1)},
			want:    nil},
		{name: "bowtie self-intersection",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "unclosed ring",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "too few points",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {0, 0}}}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "NaN coordinate",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {math.NaN(), 1}, {1, 1}, {0, 1}, {0, 0}}}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "hole oriented like its shell",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {0, 3}, {0, 0}}, {{1, 1}, {2, 1}, {2, 2}, {1, 2}, {1, 1}}}, sq(1, 1, 2, 2)},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "hole outside its shell",
			members: []orb.Geometry{orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}, {{5, 5}, {5, 6}, {6, 6}, {6, 5}, {5, 5}}}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "crossing parts of a multipolygon",
			members: []orb.Geometry{orb.MultiPolygon{sq(0, 0, 2, 2), sq(1, 1, 3, 3)}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
		{name: "non-polygon member",
			members: []orb.Geometry{orb.LineString{{0, 0}, {1, 1}}},
			want:    []kindSize{{InvalidGeometry, []int{0}, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opt.Planar = true
			r := Validate(c.members, c.parent, c.opt)
			var got []kindSize
			for _, d := range r.Defects {
				got = append(got, kindSize{d.Kind, d.Features, d.Size})
			}
			ok := len(got) == len(c.want)
			for i := 0; ok && i < len(got); i++ {
				w := c.want[i]
				ok = got[i].kind == w.kind && slices.Equal(got[i].features, w.features) &&
					(w.size < 0 || math.Abs(got[i].size-w.size) < 1e-9)
			}
			if !ok {
				var msgs []string
				for _, d := range r.Defects {
					msgs = append(msgs, string(d.Kind)+": "+d.Message)
				}
				t.Errorf("got %v, want %v\n%s", got, c.want, strings.Join(msgs, "\n"))
			}
			for _, d := range r.Defects {
				if d.Kind == InvalidGeometry {
					if _, isPt := d.Geometry.(orb.Point); !isPt && !strings.Contains(d.Message, "not a polygon") && !strings.Contains(d.Message, "NaN") && !strings.Contains(d.Message, "non-finite") {
						t.Errorf("invalid geometry without a point location: %s", d.Message)
					}
				}
			}
		})
	}
}

func TestCheckGeometryLocations(t *testing.T) {
	spike := orb.Polygon{{{0, 0}, {1, 0}, {1, 0.5}, {1.5, 0.5}, {1, 0.5}, {1, 1}, {0, 1}, {0, 0}}}
	ds := CheckGeometry(spike)
	if !hasDefectNear(ds, orb.Point{1.5, 0.5}, 0) {
		t.Errorf("spike not located at its tip: %+v", ds)
	}
	bowtie := orb.Polygon{{{0, 0}, {2, 2}, {2, 0}, {0, 2}, {0, 0}}}
	if ds := CheckGeometry(bowtie); !hasDefectNear(ds, orb.Point{1, 1}, 1e-12) {
		t.Errorf("bowtie crossing not at (1,1): %+v", ds)
	}
	if ds := CheckGeometry(sq(0, 0, 1, 1)); ds != nil {
		t.Errorf("valid square: %+v", ds)
	}
	touching := orb.MultiPolygon{sq(0, 0, 1, 1), sq(1, 1, 2, 2)}
	if ds := CheckGeometry(touching); ds != nil {
		t.Errorf("parts touching at a point are valid: %+v", ds)
	}
}
