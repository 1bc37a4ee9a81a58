package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"wangge/internal/workreport"
)

func TestWorkReportFormats(t *testing.T) {
	base := demoServer(t)
	ctx := context.Background()
	admin, leader := tokenFor(t, base, "admin"), tokenFor(t, base, "leader")
	var street, grid string
	if err := demoPool.QueryRow(ctx, `SELECT c.parent_code, g.code FROM units g JOIN units c ON c.code = g.parent_code
        WHERE g.level = 4 ORDER BY g.code LIMIT 1`).Scan(&street, &grid); err != nil {
		t.Fatal(err)
	}
	period := time.Now().In(time.FixedZone("", 8*3600)).Format("2006-01")
	q := "/api/reports/work?unit=" + street + "&period=" + period
	resp, b := do(t, "GET", base+q, admin, "")
	var r workreport.Report
	if resp.StatusCode != 200 || json.Unmarshal(b, &r) != nil || len(r.Rows) < 2 {
		t.Fatalf("json: %d %s", resp.StatusCode, b)
	}
	tot := r.Rows[len(r.Rows)-1]
	if !tot.Total || tot.CasesReported == 0 || r.Period != period {
		t.Fatalf("total: %+v", tot)
	}

	// XLSX: the same table, cell for cell.
	resp, b = do(t, "GET", base+q+"&format=xlsx", admin, "")
	if resp.StatusCode != 200 {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, b)
	}
	xf, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer xf.Close()
	xrows, err := xf.GetRows("report")
	if err != nil {
		t.Fatal(err)
	}
	want := r.Table()
	if len(xrows) != len(want)+1 || !strings.Contains(xrows[0][0], r.Name) {
		t.Fatalf("xlsx: %d rows, want %d + title; %v", len(xrows), len(want), xrows[0])
	}
	for i, row := range want {
		for j, v := range row {
			cell := ""
			if j < len(xrows[i+1]) {
				cell = xrows[i+1][j]
			}
			switch v := v.(type) {
			case string:
				if cell != v {
					t.Errorf("xlsx row %d col %d: %q, want %q", i, j, cell, v)
				}
			case float64:
				if f, err := strconv.ParseFloat(cell, 64); err != nil || math.Abs(f-v) > 1e-9 {
					t.Errorf("xlsx row %d col %d: %q, want %v", i, j, cell, v)
				}
			}
		}
	}

	// PDF: pdftotext finds the unit's name, the period and the totals.
	resp, b = do(t, "GET", base+q+"&format=pdf", admin, "")
	if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("pdf: %d %.100s", resp.StatusCode, b)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "r.pdf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", filepath.Join(dir, "r.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian poppler-utils): %v", err)
	}
	text := string(out)
	var totalLine string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "合计") {
			totalLine = l
		}
	}
	if !strings.Contains(text, r.Name) || !strings.Contains(text, period) || totalLine == "" {
		t.Fatalf("pdf text lacks name %s, period %s or the total:\n%s", r.Name, period, text)
	}
	for _, f := range []string{strconv.Itoa(tot.CasesReported), strconv.Itoa(tot.CasesClosed),
		fmt.Sprintf("%.1f%%", 100*tot.ClosureRate), fmt.Sprintf("%.1f", tot.PatrolHours), strconv.Itoa(tot.GridChanges)} {
		if !strings.Contains(totalLine, f) {
			t.Errorf("pdf total line %q lacks %s", totalLine, f)
		}
	}

	// The demo leader's own unit, the default, is the district: a row per
	// street, then the district's total.
	resp, b = do(t, "GET", base+"/api/reports/work?period="+period, leader, "")
	var rd workreport.Report
	if resp.StatusCode != 200 || json.Unmarshal(b, &rd) != nil || len(rd.Rows) < 2 {
		t.Fatalf("district: %d %.300s", resp.StatusCode, b)
	}
	if dt := rd.Rows[len(rd.Rows)-1]; !dt.Total || dt.CasesReported < tot.CasesReported || rd.Rows[0].Code[:6] != dt.Code[:6] {
		t.Errorf("district report %+v", rd.Rows)
	}
	// Bad input (the scope is the matrix's, scope_matrix_test.go).
	future := time.Now().AddDate(0, 2, 0).In(time.FixedZone("", 8*3600)).Format("2006-01")
	for what, query := range map[string]string{
		"future month": "unit=" + street + "&period=" + future,
		"bad period":   "unit=" + street + "&period=" + url.QueryEscape("2026/11"),
		"no period":    "unit=" + street,
		"a grid":       "unit=" + grid + "&period=" + period,
		"bad format":   "unit=" + street + "&period=" + period + "&format=doc",
		"bad unit":     "unit=12&period=" + period,
	} {
		resp, b := do(t, "GET", base+"/api/reports/work?"+query, admin, "")
		wantError(t, what, resp, b, 400, "invalid")
	}
}
