package importer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// drain parses a whole file and checks invariants of what comes out.
func drain(t *testing.T, p *Parser) []Row {
	var rows []Row
	for {
		r, err := p.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if r.Line < 2 || r.Estate == "" || r.HeadName == "" || r.Members < 0 || r.Members > 99 ||
			r.Lon < 72 || r.Lon > 138 || r.Lat < 0 || r.Lat > 56 {
			t.Fatalf("row passed checks but is bad: %+v", r)
		}
		if r.IDNumber != "" && CheckIDNumber(r.IDNumber) != "" {
			t.Fatalf("bad ID passed: %q", r.IDNumber)
		}
		rows = append(rows, r)
	}
	for _, pr := range p.Problems {
		if pr.Row < 1 || pr.Reason == "" {
			t.Fatalf("problem without row or reason: %+v", pr)
		}
	}
	if len(rows)+p.Bad < p.Rows {
		t.Fatalf("%d good + %d bad < %d rows", len(rows), p.Bad, p.Rows)
	}
	return rows
}

const seedCSV = "小区,楼栋,单元,室,经度,纬度,户主姓名,身份证号,电话,人数,标签\n" +
	"阳光小区,3号楼,2,302,120.1,30.2,张三,11010519491231002X,13800000000,3,低保、独居\n" +
	"阳光小区,三栋,,,120.1,30.2,李四,,0571-88888888,,\n"

func FuzzCSVRows(f *testing.F) {
	f.Add([]byte(seedCSV))
	f.Add([]byte("estate,building_no,lon,lat,head_name,crs\nA,1,116.4,39.9,王,gcj02\n"))
	f.Add([]byte("\xef\xbb\xbf小区,楼栋,经度,纬度,户主\n\"a\nb\",1,120,30,x\n"))
	f.Add([]byte("\xd0\xa1\xc7\xf8,\xc2\xa5\xb6\xb0\n")) // GB18030
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := NewParser(bytes.NewReader(data), FormatCSV, int64(len(data)), nil, "")
		if err != nil {
			return
		}
		defer p.Close()
		drain(t, p)
	})
}

// FuzzXLSXRows builds a workbook from fuzzed cells ("\n" between rows, "\t"
// between cells) and checks that it reads exactly like the same cells as
// CSV: the two readers must not disagree on rows, row numbers or problems.
func FuzzXLSXRows(f *testing.F) {
	f.Add(strings.ReplaceAll(seedCSV, ",", "\t"))
	f.Add("estate\tbuilding_no\tlon\tlat\thead_name\n\n\nA\t1\t116.4\t39.9\t王\n")
	f.Add("小区\t楼栋\t经度\t纬度\t户主\n幸福\t1\t200\t30\t \n")
	f.Fuzz(func(t *testing.T, cells string) {
		if !utf8.ValidString(cells) || len(cells) > 4000 {
			return
		}
		var grid [][]string
		for _, line := range strings.Split(cells, "\n") {
			var rec []string
			for _, c := range strings.Split(line, "\t") {
				// Cells excelize cannot store as given are out of scope.
				if strings.ContainsAny(c, "\r\"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff") ||
					c != strings.TrimSpace(c) || strings.HasPrefix(c, "=") {
					return
				}
				rec = append(rec, c)
			}
			grid = append(grid, rec)
		}
		if len(grid) > 200 {
			return
		}
		x := excelize.NewFile()
		for i, rec := range grid {
			for j, v := range rec {
				if v == "" {
					continue
				}
				name, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if err := x.SetCellStr("Sheet1", name, v); err != nil {
					return
				}
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			t.Fatal(err)
		}
		x.Close()
		var csvBuf strings.Builder
		for _, rec := range grid {
			for j, v := range rec {
				if j > 0 {
					csvBuf.WriteByte(',')
				}
				csvBuf.WriteString(`"` + v + `"`)
			}
			csvBuf.WriteByte('\n')
		}
		px, err := NewParser(bytes.NewReader(buf.Bytes()), FormatXLSX, 0, nil, "")
		if err != nil {
			t.Fatalf("xlsx: %v", err)
		}
		defer px.Close()
		pc, err := NewParser(strings.NewReader(csvBuf.String()), FormatCSV, 0, nil, "")
		if err != nil {
			t.Fatalf("csv: %v", err)
		}
		rx, rc := drain(t, px), drain(t, pc)
		if len(rx) != len(rc) || px.Bad != pc.Bad {
			t.Fatalf("xlsx %d rows %d bad, csv %d rows %d bad\nxlsx %v\ncsv %v", len(rx), px.Bad, len(rc), pc.Bad, px.Problems, pc.Problems)
		}
		for i := range rx {
			if rx[i].Line != rc[i].Line || rx[i].HeadName != rc[i].HeadName || rx[i].Lon != rc[i].Lon {
				t.Fatalf("row %d: xlsx %+v, csv %+v", i, rx[i], rc[i])
			}
		}
	})
}
