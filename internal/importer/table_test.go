package importer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestReadTable(t *testing.T) {
	csv := "name,lon\n\nA,1\nB,2\n"
	h, rows, nums, err := ReadTable(strings.NewReader(csv), "x.csv", int64(len(csv)), 10)
	if err != nil || strings.Join(h, "|") != "name|lon" || len(rows) != 2 || rows[0][0] != "A" || rows[1][1] != "2" || nums[0] != 3 || nums[1] != 4 {
		t.Fatalf("csv: %v %v %v %v", h, rows, nums, err)
	}
	if _, _, _, err := ReadTable(strings.NewReader(csv), "x.csv", int64(len(csv)), 1); err == nil || !strings.Contains(err.Error(), "more than 1 rows") {
		t.Errorf("row cap: %v", err)
	}
	if _, _, _, err := ReadTable(strings.NewReader("\n\n"), "x.csv", 2, 10); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty: %v", err)
	}
	if _, _, _, err := ReadTable(strings.NewReader(csv), "x.pdf", 1, 10); err == nil {
		t.Error("a .pdf read as a table")
	}
	f := excelize.NewFile()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"名称", "经度"})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"南门", 120.5})
	var b bytes.Buffer
	_ = f.Write(&b)
	h, rows, nums, err = ReadTable(&b, "x.xlsx", int64(b.Len()), 10)
	if err != nil || h[0] != "名称" || len(rows) != 1 || rows[0][0] != "南门" || rows[0][1] != "120.5" || nums[0] != 3 {
		t.Fatalf("xlsx: %v %v %v %v", h, rows, nums, err)
	}
}
