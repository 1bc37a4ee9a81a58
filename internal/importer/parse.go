package importer

import (
	"errors"
	"io"

	"wangge/geo/crs"
)

// MaxProblems is how many problems a report lists; the count goes on.
const MaxProblems = 10000

// Parser reads a household file row by row: header first, then checked
// rows. It holds one record at a time.
type Parser struct {
	src      records
	cols     columns
	crs      crs.System
	Problems []Problem // up to MaxProblems, in file order
	Bad      int       // rows with at least one problem (file-level problems count once)
	Rows     int       // data rows seen (blank rows skipped)
}

// NewParser opens a CSV or XLSX stream. size (bytes, 0 if unknown) drives
// Done for CSV. mapping holds explicit header → field choices (from
// ParseMapping); defCRS applies to rows without a crs cell ("" = WGS-84).
// A file whose header lacks a required field is reported by Next.
func NewParser(rd io.Reader, format Format, size int64, mapping map[string]Field, defCRS crs.System) (*Parser, error) {
	if defCRS == "" {
		defCRS = crs.WGS84
	}
	var src records
	var err error
	switch format {
	case FormatCSV:
		src, err = newCSV(rd, size)
	case FormatXLSX:
		src, err = newXLSX(rd)
	default:
		err = errors.New("unknown format " + string(format))
	}
	if err != nil {
		return nil, err
	}
	p := &Parser{src: src, crs: defCRS}
	if err := p.header(mapping); err != nil {
		src.close()
		return nil, err
	}
	return p, nil
}

// header finds the first non-blank record and maps it.
func (p *Parser) header(mapping map[string]Field) error {
	for {
		rec, line, err := p.src.next()
		if errors.Is(err, io.EOF) {
			p.problem(Problem{Row: max(line, 1), Reason: "the file is empty: want a header row and data rows"})
			return nil
		}
		var pr Problem
		if errors.As(err, &pr) {
			p.problem(pr)
			return nil
		}
		if err != nil {
			return err
		}
		if blank(rec) {
			continue
		}
		cols, probs := mapHeader(append([]string(nil), rec...), mapping, line)
		p.cols = cols
		for _, pr := range probs {
			p.problem(pr)
		}
		return nil
	}
}

func (p *Parser) problem(pr Problem) {
	p.Bad++
	if len(p.Problems) < MaxProblems {
		p.Problems = append(p.Problems, pr)
	}
}

// Next returns the next good row, recording bad ones in Problems; io.EOF
// at the end. After a header problem no rows are returned.
func (p *Parser) Next() (Row, error) {
	if p.cols.pos == nil || p.headerBroken() {
		return Row{}, io.EOF
	}
	for {
		rec, line, err := p.src.next()
		if err != nil {
			var pr Problem
			if errors.As(err, &pr) {
				p.Rows++
				p.problem(pr)
				continue
			}
			return Row{}, err
		}
		if blank(rec) {
			continue
		}
		p.Rows++
		r, probs := checkRow(p.cols, rec, line, p.crs)
		if len(probs) > 0 {
			p.Bad++
			for _, pr := range probs {
				if len(p.Problems) < MaxProblems {
					p.Problems = append(p.Problems, pr)
				}
			}
			continue
		}
		return r, nil
	}
}

// headerBroken: a required column is missing, so no row can be read.
func (p *Parser) headerBroken() bool {
	for _, f := range required {
		if _, ok := p.cols.pos[f]; !ok {
			return true
		}
	}
	return false
}

// Done is the fraction of the file read so far, or -1 when unknown.
func (p *Parser) Done() float64 { return p.src.done() }

// Close releases the workbook.
func (p *Parser) Close() error { return p.src.close() }
