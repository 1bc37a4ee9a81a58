package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Format is a file kind.
type Format string

// Supported formats.
const (
	FormatCSV  Format = "csv"
	FormatXLSX Format = "xlsx"
)

// FormatOf guesses the format from a file name's extension.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV, nil
	case ".xlsx", ".xlsm":
		return FormatXLSX, nil
	case ".xls":
		return "", errors.New("old .xls workbooks are not supported: save as .xlsx or .csv")
	}
	return "", fmt.Errorf("%q: want a .csv or .xlsx file", name)
}

// records yields a file's rows one at a time.
type records interface {
	// next returns the next record and its row number as the spreadsheet
	// shows it, or io.EOF.
	next() ([]string, int, error)
	// done is the fraction of the file read so far, or -1 when unknown.
	done() float64
	close() error
}

// csvRecords reads CSV in UTF-8 (with or without a byte-order mark) or, when
// the start of the file is not UTF-8, GB18030 (what Excel saves on Chinese
// Windows). Rows are the file's line numbers.
type csvRecords struct {
	r     *csv.Reader
	count *countingReader
	size  int64
}

func newCSV(rd io.Reader, size int64) (*csvRecords, error) {
	cr := &countingReader{r: rd}
	br := bufio.NewReaderSize(cr, 64<<10)
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	var src io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case !validUTF8Prefix(head):
		src = simplifiedchinese.GB18030.NewDecoder().Reader(br)
	}
	r := csv.NewReader(src)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return &csvRecords{r: r, count: cr, size: size}, nil
}

// validUTF8Prefix: b is UTF-8 except perhaps for a rune cut at its end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func (c *csvRecords) next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, Problem{Row: pe.StartLine, Column: "", Reason: "CSV: " + pe.Err.Error()}
		}
		return nil, 0, err
	}
	line, _ := c.r.FieldPos(0)
	return rec, line, nil
}

func (c *csvRecords) done() float64 {
	if c.size <= 0 {
		return -1
	}
	return min(float64(c.count.n)/float64(c.size), 1)
}

func (c *csvRecords) close() error { return nil }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Error makes a file-level Problem usable as an error.
func (p Problem) Error() string { return p.String() }

// xlsxRecords reads the first worksheet of a workbook row by row (excelize
// streams the sheet's XML; the zip itself is held in memory). Empty rows
// come back as empty records, so row numbers match the sheet's.
type xlsxRecords struct {
	f     *excelize.File
	rows  *excelize.Rows
	row   int
	total int
}

// MaxXLSXUnzipped bounds what a workbook may decompress to (excelize's
// default is 16 GB: a 131 KB upload could cost the server hundreds of MB).
// A 5-million-household sheet is far below it; larger files go as CSV.
const MaxXLSXUnzipped = 512 << 20

func newXLSX(rd io.Reader) (*xlsxRecords, error) {
	// UnzipXMLSizeLimit stays excelize's 16 MB: bigger sheets stream from a
	// temporary file rather than memory.
	f, err := excelize.OpenReader(rd, excelize.Options{UnzipSizeLimit: MaxXLSXUnzipped})
	if err != nil {
		return nil, fmt.Errorf("not a readable .xlsx workbook: %w", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, errors.New("the workbook has no worksheet")
	}
	x := &xlsxRecords{f: f, total: -1}
	if dim, err := f.GetSheetDimension(sheets[0]); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, r, err := excelize.CellNameToCoordinates(last); err == nil {
				x.total = r
			}
		}
	}
	x.rows, err = f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("worksheet %q: %w", sheets[0], err)
	}
	return x, nil
}

func (x *xlsxRecords) next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, x.row, err
		}
		return nil, x.row, io.EOF
	}
	x.row++
	rec, err := x.rows.Columns()
	if err != nil {
		return nil, x.row, Problem{Row: x.row, Reason: "unreadable row: " + err.Error()}
	}
	return rec, x.row, nil
}

func (x *xlsxRecords) done() float64 {
	if x.total <= 0 {
		return -1
	}
	return min(float64(x.row)/float64(x.total), 1)
}

func (x *xlsxRecords) close() error {
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// blank reports whether every cell of rec is empty.
func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
