package inspection

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"codeberg.org/go-pdf/fpdf"
	"github.com/xuri/excelize/v2"

	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/printable"
	"wangge/internal/store"
)

var severityZh = map[string]string{"general": "一般隐患", "major": "重大隐患"}
var stateZh = map[string]string{"open": "整改中", "overdue": "已超期", "closed": "已整改"}

// registerHeader: the columns of the hazard register (隐患台账).
var registerHeader = []string{"序号 No.", "网格 Grid", "场所 Place", "隐患 Hazard", "等级 Severity", "发现 Found",
	"整改期限 Deadline", "状态 State", "责任人 Responsible", "复查 Re-inspection"}

func registerRows(hs []store.Hazard) [][]string {
	rows := make([][]string, 0, len(hs))
	for i, h := range hs {
		closed := ""
		if h.ClosedAt != nil {
			closed = h.ClosedAt.In(incidents.CST).Format("2006-01-02 15:04")
		}
		rows = append(rows, []string{strconv.Itoa(i + 1), h.GridCode, h.PlaceName, h.ItemText,
			severityZh[h.Severity], h.FoundAt.In(incidents.CST).Format("2006-01-02 15:04"),
			h.Deadline.In(incidents.CST).Format("2006-01-02 15:04"), stateZh[h.State], h.ResponsibleName, closed})
	}
	return rows
}

// Register lists a unit's hazards for the register (every state).
func (s *Service) Register(ctx context.Context, p auth.Principal, code string) ([]store.Hazard, error) {
	return s.Hazards(ctx, p, code, "")
}

// WriteRegisterXLSX writes the register as one sheet.
func WriteRegisterXLSX(w io.Writer, unitCode string, hs []store.Hazard) error {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "隐患台账"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("inspection: register: %w", err)
	}
	_ = x.SetCellValue(sheet, "A1", "隐患排查整改台账 Hazard register "+unitCode)
	for i, row := range append([][]string{registerHeader}, registerRows(hs)...) {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = v
		}
		if err := x.SetSheetRow(sheet, cell, &vals); err != nil {
			return fmt.Errorf("inspection: register: %w", err)
		}
	}
	if err := x.Write(w); err != nil {
		return fmt.Errorf("inspection: register: %w", err)
	}
	return nil
}

// WriteRegisterPDF writes the register as an A4 landscape table.
func WriteRegisterPDF(w io.Writer, unitCode string, hs []store.Hazard) error {
	font, err := printable.Font()
	if err != nil {
		return err
	}
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("cjk", "", font)
	pdf.SetCreator("wangge", true)
	pdf.SetAutoPageBreak(true, 12)
	pdf.AddPage()
	pdf.SetFont("cjk", "", 14)
	pdf.CellFormat(0, 10, "隐患排查整改台账 Hazard register "+unitCode, "", 1, "L", false, 0, "")
	widths := []float64{10, 32, 34, 56, 18, 26, 26, 16, 22, 26}
	line := func(row []string) {
		for i, v := range row {
			pdf.CellFormat(widths[i], 7, fit(pdf, v, widths[i]-1), "1", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.SetFont("cjk", "", 8)
	line(registerHeader)
	for _, r := range registerRows(hs) {
		line(r)
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("inspection: register pdf: %w", err)
	}
	return pdf.Output(w)
}

// fit shortens s to the cell width (a register line stays one line).
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	r := []rune(s)
	for len(r) > 1 && pdf.GetStringWidth(string(r)) > width {
		r = r[:len(r)-1]
	}
	return string(r)
}
