package grid_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/paulmach/orb"

	"wangge/geo/coverage"
	"wangge/geo/precision"
	"wangge/internal/grid"
)

var square = orb.MultiPolygon{{{{120.1, 30.2}, {120.101, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.1, 30.2}}}}

func TestSameShape(t *testing.T) {
	rotated := orb.MultiPolygon{{{{120.101, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.1, 30.2}, {120.101, 30.2}}}}
	reversed := orb.MultiPolygon{{{{120.1, 30.2}, {120.1, 30.201}, {120.101, 30.201}, {120.101, 30.2}, {120.1, 30.2}}}}
	noise := orb.MultiPolygon{{{{120.1, 30.2}, {120.1000000000000002, 30.2}, {120.101, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.1, 30.2}}}}
	offGrid := orb.MultiPolygon{{{{120.10000003, 30.19999998}, {120.101, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.10000003, 30.19999998}}}}
	spike := orb.MultiPolygon{{{{120.1, 30.2}, {120.101, 30.2}, {120.1015, 30.1995}, {120.101, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.1, 30.2}}}}
	addedVertex := orb.MultiPolygon{{{{120.1, 30.2}, {120.1005, 30.2}, {120.101, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.1, 30.2}}}}
	moved := orb.MultiPolygon{{{{120.1, 30.2}, {120.1011, 30.2}, {120.101, 30.201}, {120.1, 30.201}, {120.1, 30.2}}}}
	for _, c := range []struct {
		name string
		g    orb.MultiPolygon
		same bool
	}{
		{"rotated start", rotated, true}, {"reversed", reversed, true}, {"vertex 2e-16 apart", noise, true},
		{"within 1e-7", offGrid, true}, {"zero-width spike", spike, true},
		{"vertex added on an edge", addedVertex, false}, {"vertex moved", moved, false}, {"empty", nil, false},
	} {
		if got := grid.SameShape(square, c.g); got != c.same {
			t.Errorf("%s: SameShape %v, want %v", c.name, got, c.same)
		}
	}
}

func TestRoundPrintsSevenDecimals(t *testing.T) {
	p := precision.Point(orb.Point{120.11032929999999, 30.270632799999998})
	if x, y := strconv.FormatFloat(p[0], 'f', -1, 64), strconv.FormatFloat(p[1], 'f', -1, 64); x != "120.1103293" || y != "30.2706328" {
		t.Errorf("rounded to %s, %s", x, y)
	}
	if got := grid.Round(orb.MultiPolygon{{{{0, 0}, {1e-8, 0}, {1e-8, 1e-8}, {0, 0}}}}); len(got) != 0 {
		t.Errorf("a sub-grid triangle rounds to %v, want nothing", got)
	}
}

func TestDropSmallParts(t *testing.T) {
	sliver := orb.Polygon{{{120.2, 30.2}, {120.2000001, 30.2}, {120.2000001, 30.2000001}, {120.2, 30.2}}}
	got := grid.DropSmallParts(append(orb.MultiPolygon{square[0]}, sliver), 1)
	if len(got) != 1 {
		t.Errorf("%d parts left, want the large one", len(got))
	}
	if got := grid.DropSmallParts(orb.MultiPolygon{sliver}, 1); len(got) != 1 {
		t.Error("the only part was dropped")
	}
}

func TestDefectEncoding(t *testing.T) {
	ds := []coverage.Defect{{Kind: coverage.Overlap, Features: []int{0, 1}, Geometry: square, Size: 3, Unit: coverage.UnitSquareMetres, Message: "x"}}
	fromFile := grid.FeatureCollection(grid.FromCoverage(ds, []string{"a", "b"}, []int{7, 9}, "p"))
	b, _ := json.Marshal(fromFile.Features[0].Properties)
	if string(b) != `{"codes":["a","b"],"features":[7,9],"kind":"overlap","message":"x","parent_code":"p","size":3,"unit":"m2"}` {
		t.Errorf("file defect properties %s", b)
	}
	edit := grid.FeatureCollection([]grid.Defect{{Kind: coverage.Gap, Geom: square}})
	b, _ = json.Marshal(edit.Features[0].Properties)
	if string(b) != `{"codes":[],"kind":"gap","message":"","size":0,"unit":"m2"}` {
		t.Errorf("edit defect properties %s", b)
	}
}
