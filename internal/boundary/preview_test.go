package boundary_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	"wangge/internal/boundary"
	wgrid "wangge/internal/grid"
)

// Two grids side by side filling their community, about 111 × 111 m each.
func sideBySide() wgrid.Community {
	sq := func(x0, x1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, 30}, {x1, 30}, {x1, 30.001}, {x0, 30.001}, {x0, 30}}}}
	}
	return wgrid.Community{Code: "330199001001", Geom: sq(120, 120.002), Codes: []string{"330199001001001", "330199001001002"},
		Members: []orb.Geometry{sq(120, 120.001), sq(120.001, 120.002)}}
}

func TestPreviewOverlapGapAndSnap(t *testing.T) {
	svc := boundary.New(nil, boundary.Options{})
	ctx := context.Background()
	c := sideBySide()
	a := c.Members[0].(orb.MultiPolygon)
	shape := func(x float64) orb.MultiPolygon { // the east side moved to x
		return orb.MultiPolygon{{{{120, 30}, {x, 30}, {x, 30.001}, {120, 30.001}, {120, 30}}}}
	}
	cases := []struct {
		name string
		g    orb.MultiPolygon
		kind string // "" no defect
	}{
		{"stored shape", a, ""},
		{"east side 0.2 m into the neighbour: snapped back", shape(120.001 + 0.2/96486), ""},
		{"east side 10 m into the neighbour", shape(120.0011), "overlap"},
		{"east side 10 m back", shape(120.0009), "gap"},
		{"west side 10 m outside the community", orb.MultiPolygon{{{{119.9999, 30}, {120.001, 30}, {120.001, 30.001}, {119.9999, 30.001}, {119.9999, 30}}}}, "outside_parent"},
	}
	for _, tc := range cases {
		ds, err := svc.Preview(ctx, c.Codes[0], tc.g, c)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch {
		case tc.kind == "" && len(ds) != 0:
			t.Errorf("%s: %d defects, first %s %.1f m²", tc.name, len(ds), ds[0].Kind, ds[0].Size)
		case tc.kind != "" && (len(ds) != 1 || string(ds[0].Kind) != tc.kind):
			t.Errorf("%s: %v, want one %s", tc.name, ds, tc.kind)
		case tc.kind != "" && (ds[0].Size < 900 || ds[0].Size > 1200): // 10 m × 111 m
			t.Errorf("%s: %.1f m², want about 1,110", tc.name, ds[0].Size)
		}
	}
	// A grid the map does not hold yet (a new one) is checked against all of them.
	ds, err := svc.Preview(ctx, "330199001001009", shape(120.0011), c)
	if err != nil || len(ds) == 0 || ds[0].Kind != "overlap" {
		t.Errorf("new grid over both: %v %v", ds, err)
	}
}
