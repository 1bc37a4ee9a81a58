package api_test

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// TestBalanceProposesSplitAlongStreet: a street crossing an over-band grid
// between its buildings, with about half the households on each side, is
// the proposed split line (street_aligned, its name, the households per side
// as the buildings lie); a street leaving fewer than 40 % on one side is
// not, and the line is straight again. The demo's own streets run along the
// grid boundaries and cut no grid.
func TestBalanceProposesSplitAlongStreet(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	tok := tokenFor(t, base, "admin")
	var code, comm string
	if err := demoPool.QueryRow(ctx, `
		SELECT u.code, u.parent_code FROM units u JOIN buildings b ON b.grid_code = u.code JOIN households h ON h.building_id = b.id
		WHERE u.level = 4 AND ST_NumGeometries(u.geom) = 1 GROUP BY u.code HAVING count(DISTINCT b.id) >= 6 ORDER BY u.code LIMIT 1`).Scan(&code, &comm); err != nil {
		t.Fatal(err)
	}
	rows, err := demoPool.Query(ctx, `SELECT ST_X(b.pt), count(h.id) FROM buildings b LEFT JOIN households h ON h.building_id = b.id
		WHERE b.grid_code = $1 GROUP BY b.id ORDER BY 1`, code)
	if err != nil {
		t.Fatal(err)
	}
	type bl struct {
		x float64
		n int
	}
	var bs []bl
	total := 0
	for rows.Next() {
		var b bl
		rows.Scan(&b.x, &b.n)
		bs, total = append(bs, b), total+b.n
	}
	rows.Close()
	sort.Slice(bs, func(i, j int) bool { return bs[i].x < bs[j].x })
	// North–south streets at the longitude halving the households, and at one leaving under 40 % west.
	cut := func(share float64) (float64, int) {
		west := 0
		for i := 0; i+1 < len(bs); i++ {
			west += bs[i].n
			if float64(west) >= share*float64(total) && bs[i+1].x > bs[i].x {
				return (bs[i].x + bs[i+1].x) / 2, west
			}
		}
		t.Fatalf("no cut at %.2f", share)
		return 0, 0
	}
	street := func(name string, x float64) {
		t.Helper()
		if _, err := demoPool.Exec(ctx, `INSERT INTO streets (region_code, name, kind, geom)
			SELECT left($1, 6), $2, 'residential', ST_MakeLine(ST_Point($3, ST_YMin(geom) - 0.002, 4326), ST_Point($3, ST_YMax(geom) + 0.002, 4326)) FROM units WHERE code = $1`,
			code, name, x); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { demoPool.Exec(ctx, `DELETE FROM streets WHERE name IN ('均分路', '偏路')`) })
	proposal := func() (split struct {
		Line          *geojson.Geometry
		Households    [2]int
		StreetAligned bool `json:"street_aligned"`
		Street        string
	}) {
		t.Helper()
		resp, body := do(t, "GET", base+"/api/balance?parent="+comm+"&min_households=0&min_people=0&max_households=1", tok, "")
		var fc struct {
			Features []struct {
				Properties struct {
					Code  string
					Split *json.RawMessage
				}
			}
		}
		if resp.StatusCode != 200 || json.Unmarshal(body, &fc) != nil {
			t.Fatalf("balance: %d %.300s", resp.StatusCode, body)
		}
		for _, f := range fc.Features {
			if f.Properties.Code == code && f.Properties.Split != nil {
				if err := json.Unmarshal(*f.Properties.Split, &split); err != nil {
					t.Fatal(err)
				}
				return split
			}
		}
		t.Fatalf("no split proposed for %s", code)
		return split
	}
	xHalf, west := cut(0.5)
	street("均分路", xHalf)
	p := proposal()
	if !p.StreetAligned || p.Street != "均分路" {
		t.Fatalf("proposal %+v, want along 均分路", p)
	}
	if h := p.Households; h[0]+h[1] != total || (h[0] != west && h[1] != west) {
		t.Errorf("households %v, want %d west of the street of %d", h, west, total)
	}
	line, ok := p.Line.Geometry().(orb.LineString)
	if !ok || len(line) < 2 {
		t.Fatalf("line %v", p.Line)
	}
	for _, q := range line {
		if math.Abs(q[0]-xHalf) > 2e-7 {
			t.Errorf("the proposed line leaves the street: %v, street at %.7f", q, xHalf)
		}
	}
	// Only a street with under 40 % on one side: the straight line again.
	demoPool.Exec(ctx, `DELETE FROM streets WHERE name = '均分路'`)
	xLow, low := cut(0)
	if float64(min(low, total-low)) >= 0.4*float64(total) {
		t.Fatalf("fixture: %d of %d west of the first gap", low, total)
	}
	street("偏路", xLow)
	if p := proposal(); p.StreetAligned {
		t.Errorf("proposal %+v along a street leaving %d of %d households", p, low, total)
	}
}
