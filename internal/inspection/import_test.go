package inspection_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"wangge/internal/apperr"
	"wangge/internal/inspection"
	"wangge/internal/store"
)

func TestImportPlacesFromCSVAndXLSXAllOrNothing(t *testing.T) {
	w := newSchool(t)
	ctx := context.Background()
	before := w.count(t, "places")
	csvText := fmt.Sprintf("\uFEFF名称,类型,经度,纬度,上级,责任人ID\n综合楼,building,%[1]v,%[2]v,,%[3]d\n微机室 201,computer_room,%[1]v,%[2]v,综合楼,\n财务室,finance_room,%[1]v,%[2]v,实验楼 Lab building,\n",
		w.lon, w.lat, w.staffID)
	rows, err := inspection.ReadTable([]byte(csvText), false)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := w.svc.ImportPlaces(ctx, w.inspector, w.grid, "", rows, store.AuditEntry{})
	if err != nil || len(ids) != 3 {
		t.Fatalf("csv import: %v %v", ids, err)
	}
	room, err := w.st.PlaceByID(ctx, w.pool, ids[1])
	if err != nil || room.ParentID == nil || *room.ParentID != ids[0] || room.Kind != "computer_room" {
		t.Fatalf("imported room %+v %v; want the building of the row above as parent", room, err)
	}
	if fin, _ := w.st.PlaceByID(ctx, w.pool, ids[2]); fin.ParentID == nil || *fin.ParentID != w.building {
		t.Fatalf("finance room's parent %v; want the existing building %d", fin.ParentID, w.building)
	}
	// XLSX, with a bad third line: nothing of the file is stored.
	x := excelize.NewFile()
	for i, r := range [][]any{{"name", "kind", "lon", "lat"}, {"厨房", "kitchen", w.lon, w.lat}, {"操场", "post", w.lon + 5, w.lat}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var xb bytes.Buffer
	if err := x.Write(&xb); err != nil {
		t.Fatal(err)
	}
	rows, err = inspection.ReadTable(xb.Bytes(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.ImportPlaces(ctx, w.inspector, w.grid, "", rows, store.AuditEntry{}); !errors.Is(err, apperr.ErrInvalid) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("bad xlsx line: %v; want invalid naming line 3", err)
	}
	for _, c := range []struct {
		name string
		rows [][]string
		p    string
		want error
	}{
		{"no kind column", [][]string{{"name", "lon", "lat"}, {"x", "1", "2"}}, "", apperr.ErrInvalid},
		{"unknown parent", [][]string{{"name", "kind", "lon", "lat", "parent"}, {"x", "post", fmt.Sprint(w.lon), fmt.Sprint(w.lat), "无此楼"}}, "", apperr.ErrInvalid},
		{"bad number", [][]string{{"name", "kind", "lon", "lat"}, {"x", "post", "east", fmt.Sprint(w.lat)}}, "", apperr.ErrInvalid},
		{"outside the units", [][]string{{"name", "kind", "lon", "lat"}, {"x", "post", fmt.Sprint(w.lon), fmt.Sprint(w.lat)}}, "outsider", apperr.ErrForbidden},
	} {
		p := w.inspector
		if c.p == "outsider" {
			p = w.outsider
		}
		if _, err := w.svc.ImportPlaces(ctx, p, w.grid, "", c.rows, store.AuditEntry{}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, err, c.want)
		}
		if n := w.count(t, "places"); n != before+3 {
			t.Fatalf("%s: %d places; want %d (the good CSV only)", c.name, n, before+3)
		}
	}
	if n := w.count(t, "places"); n != before+3 {
		t.Fatalf("%d places; want %d (the good CSV only)", n, before+3)
	}
}
