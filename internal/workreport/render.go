package workreport

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"github.com/xuri/excelize/v2"

	"wangge/internal/printable"
)

// Header names the columns of Table, in Chinese and English.
var Header = []string{"code 代码", "unit 单位", "cases 事件上报", "closed 办结", "overdue 超期", "closure rate 办结率",
	"patrol hours 巡查时长", "worker-days 巡查人日", "visits 走访", "households visited 走访户数", "visits due 待走访",
	"hazards opened 新增隐患", "hazards closed 整改隐患", "hazards open 未整改", "grid changes 网格调整", "staff changes 人员变动"}

// Table is the report's rows as cells (numbers as float64), header first.
func (r Report) Table() [][]any {
	out := [][]any{}
	h := make([]any, len(Header))
	for i, s := range Header {
		h[i] = s
	}
	out = append(out, h)
	for _, w := range r.Rows {
		name := w.Name
		if w.Total {
			name += " 合计"
		}
		out = append(out, []any{w.Code, name, float64(w.CasesReported), float64(w.CasesClosed), float64(w.CasesOverdue),
			w.ClosureRate, w.PatrolHours, float64(w.PatrolWorkerDays), float64(w.Visits), float64(w.VisitedHouseholds), float64(w.VisitsDue),
			float64(w.HazardsOpened), float64(w.HazardsClosed), float64(w.HazardsOpenAtEnd),
			float64(w.GridChanges), float64(w.StaffChanges)})
	}
	return out
}

// XLSX writes the table on one sheet named for the period.
func (r Report) XLSX() ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	sheet := "report"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	title := fmt.Sprintf("%s %s 工作报告 work report %s – %s", r.Name, r.Period, r.From, r.To)
	if err := x.SetCellValue(sheet, "A1", title); err != nil {
		return nil, err
	}
	for i, row := range r.Table() {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		return nil, fmt.Errorf("workreport: xlsx: %w", err)
	}
	return b.Bytes(), nil
}

// PDF writes the report on A4 landscape with the CJK font of printable.
func (r Report) PDF() ([]byte, error) {
	font, err := printable.Font()
	if err != nil {
		return nil, err
	}
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("cjk", "", font)
	pdf.SetAutoPageBreak(true, 10)
	pdf.AddPage()
	pdf.SetFont("cjk", "", 14)
	pdf.CellFormat(0, 8, fmt.Sprintf("%s 工作报告 %s", r.Name, r.Period), "", 1, "L", false, 0, "")
	pdf.SetFont("cjk", "", 9)
	pdf.CellFormat(0, 6, fmt.Sprintf("unit %s · period %s – %s (China time, end exclusive)", r.Unit, r.From, r.To), "", 1, "L", false, 0, "")
	pdf.Ln(2)
	widths := []float64{25, 32, 14, 13, 13, 15, 17, 15, 13, 17, 15, 17, 17, 15, 15, 15}
	pdf.SetFont("cjk", "", 6.5)
	pdf.SetFillColor(225, 225, 225)
	for i, row := range r.Table() {
		for j, v := range row {
			s := cellText(v, j)
			if i == 0 { // the Chinese name: the English one does not fit the column
				s = s[strings.LastIndex(s, " ")+1:]
			}
			align := "R"
			if j < 2 || i == 0 {
				align = "L"
			}
			pdf.CellFormat(widths[j], 6, s, "1", 0, align, i == 0, 0, "")
		}
		pdf.Ln(-1)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("workreport: pdf: %w", err)
	}
	return b.Bytes(), nil
}

func cellText(v any, col int) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if col == 5 {
			return strconv.FormatFloat(100*x, 'f', 1, 64) + "%"
		}
		if col == 6 {
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return fmt.Sprint(v)
}
