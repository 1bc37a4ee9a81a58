package coverage

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

// TestSelfIntersectingMemberStillShowsItsNeighbours: member 1 crosses
// itself (a notch whose edges cross at 1.1,0.9), overlaps member 2 by
// 0.2 and leaves a gap against member 0. Its invalid geometry is reported,
// and, judged on its repaired copy (as ST_MakeValid), so are the overlap
// and the small gap; it used to be left out, hiding the overlap and making
// its whole area one gap.
func TestSelfIntersectingMemberStillShowsItsNeighbours(t *testing.T) {
	notched := orb.Polygon{{{1, 0}, {2.2, 0}, {2.2, 1}, {1.2, 1}, {1, 0.8}, {1, 1}, {1.2, 0.8}, {1, 0}}}
	if _, hard, _ := checkGeometry(t.Context(), notched); !hard {
		t.Fatal("the notched member is not structurally invalid: the test would not tell")
	}
	r := Validate([]orb.Geometry{sq(0, 0, 1, 1), notched, sq(2, 0, 3, 1)}, sq(0, 0, 3, 1), Options{Planar: true})
	if r.Count(InvalidGeometry) == 0 {
		t.Errorf("the self-intersection is not reported: %+v", r.Defects)
	}
	ov := r.Of(Overlap)
	if len(ov) != 1 || ov[0].Features[0] != 1 || ov[0].Features[1] != 2 || math.Abs(ov[0].Size-0.2) > 1e-9 {
		t.Errorf("overlaps %+v, want members 1 and 2 by 0.2", ov)
	}
	gaps := r.Of(Gap)
	if len(gaps) == 0 {
		t.Error("the gap beside the repaired member is not reported")
	}
	for _, g := range gaps {
		if g.Size > 0.2 {
			t.Errorf("gap of %.3g: the member's own area counted as a gap", g.Size)
		}
	}
	rp, ok := Repair(notched)
	if !ok || CheckGeometry(rp) != nil {
		t.Fatalf("repair: %v %v", ok, rp)
	}
}
