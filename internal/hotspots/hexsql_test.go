package hotspots_test

import (
	"context"
	"testing"
	"time"

	"wangge/geo/hotspot"
	"wangge/internal/store"
)

// TestHexCountsSQLMatchGo: the database's binning (HotspotHexCounts) puts
// every case in the hexagon geo/hotspot's CellAt does, at three sizes.
func TestHexCountsSQLMatchGo(t *testing.T) {
	pool := syntheticDistrict(t, 20000)
	st := store.New(pool)
	ctx := context.Background()
	f := store.HotspotFilter{Parent: "330199000000", From: time.Now().AddDate(0, 0, -90), To: time.Now().Add(time.Hour)}
	lons, lats, err := st.HotspotPoints(ctx, f)
	if err != nil || len(lons) != 20000 {
		t.Fatalf("%d points, %v", len(lons), err)
	}
	for _, size := range []float64{2000, 125, 31.25} {
		g := hotspot.NewHexGrid(size, 120.1, 30.09)
		want := g.Count(lons, lats)
		lon0, lat0, kx, ky := g.Origin()
		rows, err := st.HotspotHexCounts(ctx, f, store.HexLattice{Lon0: lon0, Lat0: lat0, Kx: kx, Ky: ky, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(want) {
			t.Errorf("size %g: %d hexagons in SQL, %d in Go", size, len(rows), len(want))
		}
		for _, r := range rows {
			if n := want[hotspot.Cell{Q: r.Q, R: r.R}]; n != r.N {
				t.Errorf("size %g: hexagon %d,%d: SQL %d, Go %d", size, r.Q, r.R, r.N, n)
			}
		}
	}
}
