package coverage

import (
	"testing"

	"github.com/paulmach/orb"
)

// TestRepeatsWarn: repeated consecutive vertices are valid (PostGIS
// ST_IsValid says true for this ring) and are one warning per ring, while
// the overlap they sit next to is still a defect.
func TestRepeatsWarn(t *testing.T) {
	rep := orb.Polygon{{{0, 0}, {1, 0}, {1, 0}, {1, 0}, {1.5, 1}, {1.5, 1}, {0, 1}, {0, 0}}}
	r := Validate([]orb.Geometry{rep, sq(1, 0, 2, 1)}, nil, Options{Planar: true})
	if n := r.Count(InvalidGeometry); n != 0 {
		t.Fatalf("invalid geometry %d, want 0: %+v", n, r.Defects)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Kind != RepeatedVertex || r.Warnings[0].Features[0] != 0 {
		t.Fatalf("warnings %+v, want one repeated_vertex on feature 0", r.Warnings)
	}
	if r.Count(Overlap) != 1 {
		t.Fatalf("overlap %d, want 1: %+v", r.Count(Overlap), r.Defects)
	}
	mp, n := DropRepeats(orb.MultiPolygon{rep})
	if n != 3 || len(mp[0][0]) != 5 || CheckGeometry(mp) != nil {
		t.Fatalf("DropRepeats: %d dropped, %v", n, mp)
	}
}
