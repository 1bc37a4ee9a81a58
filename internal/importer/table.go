package importer

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// ReadTable reads a small .csv or .xlsx table (the format from name) whole,
// for imports of a few thousand rows: the header row first, then each row
// with its number as the spreadsheet shows it; blank rows are skipped. More
// than maxRows data rows is an error, so the work is bounded by the limit.
func ReadTable(rd io.Reader, name string, size int64, maxRows int) (header []string, rows [][]string, rowNumbers []int, err error) {
	format, err := FormatOf(name)
	if err != nil {
		return nil, nil, nil, err
	}
	var recs records
	if format == FormatXLSX {
		recs, err = newXLSX(rd)
	} else {
		recs, err = newCSV(rd, size)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	defer recs.close()
	for {
		rec, row, err := recs.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if blank(rec) {
			continue
		}
		rec = slices.Clone(rec) // the CSV reader reuses its record
		if header == nil {
			header = rec
			continue
		}
		if len(rows) == maxRows {
			return nil, nil, nil, fmt.Errorf("more than %d rows: split the file", maxRows)
		}
		rows, rowNumbers = append(rows, rec), append(rowNumbers, row)
	}
	if header == nil {
		return nil, nil, nil, errors.New("the file is empty: want a header row and data rows")
	}
	return header, rows, rowNumbers, nil
}
