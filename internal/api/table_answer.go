package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"wangge/internal/apperr"
)

// tableAnswer sends rows (the header first) as name.csv or name.xlsx; in
// the sheet, cells of columns numFrom and after that read as numbers are
// numbers.
func tableAnswer(c echo.Context, format, name string, rows [][]string, numFrom int) error {
	switch format {
	case "csv":
		var b bytes.Buffer
		b.WriteString("\uFEFF") // Excel opens UTF-8 CSV with Chinese text only with a BOM
		w := csv.NewWriter(&b)
		for _, r := range rows {
			_ = w.Write(r)
		}
		w.Flush()
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	case "xlsx":
		x := excelize.NewFile()
		defer x.Close()
		for i, r := range rows {
			for j, v := range r {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if n, err := strconv.ParseFloat(v, 64); err == nil && j >= numFrom {
					_ = x.SetCellValue("Sheet1", cell, n)
				} else {
					_ = x.SetCellValue("Sheet1", cell, v)
				}
			}
		}
		var b bytes.Buffer
		if err := x.Write(&b); err != nil {
			return fmt.Errorf("api: xlsx: %w", err)
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b.Bytes())
	default:
		return apperr.New(apperr.ErrInvalid, "format %q: want json, csv or xlsx", format)
	}
}
