package shapefile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Field is one column of the attribute table.
type Field struct {
	Name     string // at most 10 bytes
	Type     byte   // 'C' text, 'N' number, 'F' float, 'L' logical, 'D' date (YYYYMMDD)
	Length   int    // bytes; 0 when writing: the longest value
	Decimals int
}

// decoder turns DBF bytes into text.
type decoder func([]byte) (string, error)

// codePage picks the text decoding from the .cpg contents and the DBF
// language driver byte: GBK/GB2312/GB18030/936 decode as GB18030 (a superset),
// UTF-8 as is; when nothing says, valid UTF-8 is taken as UTF-8 and anything
// else as GB18030.
func codePage(cpg string, ldid byte) (decoder, error) {
	c := strings.ToUpper(strings.TrimSpace(cpg))
	gb := func(b []byte) (string, error) { return simplifiedchinese.GB18030.NewDecoder().String(string(b)) }
	utf := func(b []byte) (string, error) {
		if !utf8.Valid(b) {
			return "", errors.New("text is not valid UTF-8")
		}
		return string(b), nil
	}
	switch {
	case c == "":
		if ldid == 0x4D || ldid == 0x7A {
			return gb, nil
		}
		return func(b []byte) (string, error) {
			if utf8.Valid(b) {
				return string(b), nil
			}
			return gb(b)
		}, nil
	case strings.Contains(c, "UTF") && strings.Contains(c, "8"), c == "65001":
		return utf, nil
	case strings.Contains(c, "GB"), strings.Contains(c, "936"):
		return gb, nil
	case c == "ASCII", c == "US-ASCII", strings.Contains(c, "1252"), strings.Contains(c, "8859"):
		return utf, nil
	}
	return nil, fmt.Errorf("shapefile: code page %q is not supported (UTF-8 or GBK)", cpg)
}

// readDBF decodes the table: fields and one row of text values per record
// (deleted records included, flagged in deleted).
func readDBF(b []byte, dec decoder) (fields []Field, rows [][]string, deleted []bool, err error) {
	if len(b) < 32 {
		return nil, nil, nil, errors.New("shapefile: .dbf: too short")
	}
	n := int(le.Uint32(b[4:]))
	hlen, rlen := int(le.Uint16(b[8:])), int(le.Uint16(b[10:]))
	if hlen > len(b) || hlen < 33 {
		return nil, nil, nil, errors.New("shapefile: .dbf: bad header length")
	}
	if rlen < 1 || n > (len(b)-hlen)/rlen {
		return nil, nil, nil, fmt.Errorf("shapefile: .dbf: %d records of %d bytes do not fit the file", n, rlen)
	}
	for off := 32; off+32 <= hlen && b[off] != 0x0D; off += 32 {
		d := b[off : off+32]
		name := string(bytes.TrimRight(d[:11], "\x00 "))
		fields = append(fields, Field{Name: name, Type: d[11], Length: int(d[16]), Decimals: int(d[17])})
	}
	width := 1
	for _, f := range fields {
		width += f.Length
	}
	if width > rlen {
		return nil, nil, nil, fmt.Errorf("shapefile: .dbf: fields need %d bytes, records have %d", width, rlen)
	}
	for i := 0; i < n; i++ {
		off := hlen + i*rlen
		if off+rlen > len(b) {
			return nil, nil, nil, fmt.Errorf("shapefile: .dbf: record %d truncated", i+1)
		}
		rec := b[off : off+rlen]
		row := make([]string, len(fields))
		p := 1
		for j, f := range fields {
			raw := bytes.TrimRight(rec[p:p+f.Length], " \x00")
			if f.Type != 'C' {
				raw = bytes.TrimLeft(raw, " ")
			}
			if row[j], err = dec(raw); err != nil {
				return nil, nil, nil, fmt.Errorf("shapefile: .dbf: record %d field %s: %w", i+1, f.Name, err)
			}
			p += f.Length
		}
		rows = append(rows, row)
		deleted = append(deleted, rec[0] == '*')
	}
	return fields, rows, deleted, nil
}

// writeDBF encodes the table in UTF-8 (the .cpg written beside says so).
func writeDBF(fields []Field, rows [][]string) ([]byte, error) {
	fs := append([]Field(nil), fields...)
	for i := range fs {
		if len(fs[i].Name) == 0 || len(fs[i].Name) > 10 {
			return nil, fmt.Errorf("shapefile: field name %q: want 1–10 bytes", fs[i].Name)
		}
		if fs[i].Type == 0 {
			fs[i].Type = 'C'
		}
		if fs[i].Length == 0 {
			fs[i].Length = 1
			for _, r := range rows {
				fs[i].Length = max(fs[i].Length, len(r[i]))
			}
		}
		if fs[i].Length > 254 {
			return nil, fmt.Errorf("shapefile: field %s: values longer than 254 bytes", fs[i].Name)
		}
	}
	rlen := 1
	for _, f := range fs {
		rlen += f.Length
	}
	hlen := 32 + 32*len(fs) + 1
	out := make([]byte, hlen, hlen+rlen*len(rows)+1)
	now := time.Now()
	out[0] = 0x03
	out[1], out[2], out[3] = byte(now.Year()-1900), byte(now.Month()), byte(now.Day())
	le.PutUint32(out[4:], uint32(len(rows)))
	le.PutUint16(out[8:], uint16(hlen))
	le.PutUint16(out[10:], uint16(rlen))
	for i, f := range fs {
		d := out[32+32*i:]
		copy(d[:11], f.Name)
		d[11] = f.Type
		d[16] = byte(f.Length)
		d[17] = byte(f.Decimals)
	}
	out[hlen-1] = 0x0D
	for ri, r := range rows {
		if len(r) != len(fs) {
			return nil, fmt.Errorf("shapefile: row %d has %d values for %d fields", ri+1, len(r), len(fs))
		}
		out = append(out, ' ')
		for i, f := range fs {
			v := []byte(r[i])
			if len(v) > f.Length {
				return nil, fmt.Errorf("shapefile: row %d field %s: %d bytes do not fit %d", ri+1, f.Name, len(v), f.Length)
			}
			pad := bytes.Repeat([]byte{' '}, f.Length-len(v))
			if f.Type == 'N' || f.Type == 'F' {
				out = append(append(out, pad...), v...)
			} else {
				out = append(append(out, v...), pad...)
			}
		}
	}
	return append(out, 0x1A), nil
}
