// Package printable renders what a street office prints: a grid's public
// notice board (网格公示牌, A3/A4 landscape, with a map, the staff and a QR code
// to the public card page) and household service contact cards
// (网格服务联系卡, business-card size). PDF is written by go-pdf/fpdf with a
// CJK TrueType font from Debian (fonts-wqy-microhei) embedded as a subset;
// QR codes by skip2/go-qrcode.
package printable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
)

// FontPaths are tried in order for the CJK font; WANGGE_CJK_FONT, when
// set, comes first. A .ttc collection contributes its first font.
var FontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",            // Debian fonts-wqy-microhei
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // Debian fonts-droid-fallback
}

var (
	fontOnce sync.Once
	fontData []byte
	fontErr  error
)

// Font returns the CJK TrueType font, read once.
func Font() ([]byte, error) {
	fontOnce.Do(func() {
		paths := FontPaths
		if p := os.Getenv("WANGGE_CJK_FONT"); p != "" {
			paths = append([]string{p}, paths...)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			fontData, fontErr = FirstFont(b)
			if fontErr != nil {
				fontErr = fmt.Errorf("printable: font %s: %w", p, fontErr)
			}
			return
		}
		fontErr = fmt.Errorf("printable: no CJK font found (install Debian's fonts-wqy-microhei, or set WANGGE_CJK_FONT to a .ttf/.ttc); tried %v", paths)
	})
	return fontData, fontErr
}

// FirstFont returns a TrueType file as it is, or, for a TrueType
// collection (.ttc), its first font rebuilt as a standalone .ttf: the
// offset table and table records of that font with the tables it uses
// copied after them (collections share tables by offset; a .ttf must
// hold its own).
func FirstFont(b []byte) ([]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("too short for a font")
	}
	if string(b[:4]) != "ttcf" {
		return b, nil
	}
	if binary.BigEndian.Uint32(b[8:12]) == 0 || len(b) < 16 {
		return nil, errors.New("empty font collection")
	}
	off := int(binary.BigEndian.Uint32(b[12:16]))
	if off+12 > len(b) {
		return nil, errors.New("collection offset out of range")
	}
	n := int(binary.BigEndian.Uint16(b[off+4 : off+6]))
	head := 12 + 16*n
	if off+head > len(b) {
		return nil, errors.New("table directory out of range")
	}
	out := make([]byte, head, len(b))
	copy(out, b[off:off+12])
	for i := 0; i < n; i++ {
		rec := b[off+12+16*i : off+28+16*i]
		tOff, tLen := int(binary.BigEndian.Uint32(rec[8:12])), int(binary.BigEndian.Uint32(rec[12:16]))
		if tOff < 0 || tLen < 0 || tOff+tLen > len(b) {
			return nil, fmt.Errorf("table %q out of range", rec[:4])
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		copy(out[12+16*i:], rec[:8]) // tag, checksum
		binary.BigEndian.PutUint32(out[12+16*i+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[12+16*i+12:], uint32(tLen))
		out = append(out, b[tOff:tOff+tLen]...)
	}
	return out, nil
}
