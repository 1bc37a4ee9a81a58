package service

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Table lays a month out as an office prints it: one row per worker, one
// column per item, then the score and the money deducted.
func (m Month) Table() (header []string, rows [][]any) {
	header = []string{"排名 Rank", "网格员 Worker", "网格 Grid"}
	for _, it := range m.Items {
		header = append(header, fmt.Sprintf("%s (%g)", it.Name, it.Points))
	}
	header = append(header, fmt.Sprintf("得分 Score (%g)", m.Total), "扣款(元) Money", "末位 Bottom", "须更换 Replace")
	for _, w := range m.Workers {
		row := []any{w.Rank, w.Worker, w.Grid}
		points := map[string]float64{}
		for _, it := range w.Items {
			points[it.Item] = it.Points
		}
		for _, it := range m.Items {
			row = append(row, points[it.Code])
		}
		row = append(row, w.Score, w.Money, yes(w.Bottom, fmt.Sprintf("是 (%d)", w.BottomMonths)), yes(w.Replace, "是"))
		rows = append(rows, row)
	}
	return header, rows
}

func yes(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

// XLSX writes the table as a workbook (excelize).
func (m Month) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := m.Month
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	header, rows := m.Table()
	title := fmt.Sprintf("网格员效能评价 %s %s (rules %s v%d, %s)", m.Unit, m.Month, or(m.RulesUnit, "default"), m.RulesVersion, m.State)
	if err := f.SetCellValue(sheet, "A1", title); err != nil {
		return nil, err
	}
	put := func(r int, vals []any) error {
		cell, err := excelize.CoordinatesToCellName(1, r)
		if err != nil {
			return err
		}
		return f.SetSheetRow(sheet, cell, &vals)
	}
	hv := make([]any, len(header))
	for i, h := range header {
		hv[i] = h
	}
	if err := put(2, hv); err != nil {
		return nil, err
	}
	for i, r := range rows {
		if err := put(3+i, r); err != nil {
			return nil, err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	if err := f.SetColWidth(sheet, "A", last, 14); err != nil {
		return nil, err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func or(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// CSV writes the table as UTF-8 with a byte-order mark (spreadsheets then
// read the Chinese headers right).
func (m Month) CSV() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	header, rows := m.Table()
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rec := make([]string, len(r))
		for i, v := range r {
			switch x := v.(type) {
			case float64:
				rec[i] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
