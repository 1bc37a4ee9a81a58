package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The hotspot table as XLSX holds the GeoJSON's bins and figures, row for row.
func TestHotspotTableXLSX(t *testing.T) {
	base := demoServer(t)
	admin := tokenFor(t, base, "admin")
	var district string
	if err := demoPool.QueryRow(t.Context(), `SELECT code FROM units WHERE level = 1 ORDER BY code LIMIT 1`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	to := time.Now().Add(time.Hour).UTC()
	q := base + "/api/hotspots?parent=" + district + "&bins=grid&from=" + url.QueryEscape(to.AddDate(0, 0, -31).Format(time.RFC3339)) +
		"&to=" + url.QueryEscape(to.Format(time.RFC3339))
	resp, b := do(t, "GET", q, admin, "")
	var fc hotspotAnswer
	if resp.StatusCode != 200 || json.Unmarshal(b, &fc) != nil || len(fc.Features) == 0 {
		t.Fatalf("geojson: %d %.300s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", q+"&format=xlsx", admin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("xlsx: %d %.300s", resp.StatusCode, b)
	}
	xf, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer xf.Close()
	rows, err := xf.GetRows("Sheet1")
	if err != nil || len(rows) != len(fc.Features)+1 {
		t.Fatalf("xlsx: %d rows for %d bins (%v)", len(rows), len(fc.Features), err)
	}
	head := rows[0]
	hot := 0
	for i, f := range fc.Features {
		for j, k := range head {
			cell := ""
			if j < len(rows[i+1]) {
				cell = rows[i+1][j]
			}
			want := ""
			if v, ok := f.Properties[k]; ok && v != nil {
				want = fmt.Sprint(v)
			}
			// Excel keeps 15 significant digits.
			if w, ok := f.Properties[k].(float64); ok {
				if c, err := strconv.ParseFloat(cell, 64); err == nil && math.Abs(c-w) <= 1e-13*math.Max(1, math.Abs(w)) {
					continue
				}
			}
			if cell != want {
				t.Errorf("bin %s %s: xlsx %q, geojson %q", f.ID, k, cell, want)
			}
		}
		if f.Properties["class"] != "none" && f.Properties["class"] != "" {
			hot++
		}
	}
	if head[0] != "id" || head[2] != "count" || head[6] != "z" || head[8] != "class" {
		t.Errorf("header %v", head)
	}
	t.Logf("%d bins, %d classed hot or cold", len(fc.Features), hot)
}
