package importer_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"strings"
	"testing"

	"wangge/internal/importer"
)

// TestXLSXDecompressedSizeCapped: a valid workbook carrying one extra entry
// of MaxXLSXUnzipped+1 MiB of zeros (a zip of well under 1 MB) is refused
// when opened, before it is inflated into memory.
func TestXLSXDecompressedSizeCapped(t *testing.T) {
	good := xlsxBytes(t, [][]string{{"address", "name"}, {"a", "b"}})
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, f := range zr.File {
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	w, err := zw.Create("xl/media/bomb.bin")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range importer.MaxXLSXUnzipped>>20 + 1 {
		w.Write(zeros)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 2<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	_, err = importer.NewParser(bytes.NewReader(buf.Bytes()), importer.FormatXLSX, int64(buf.Len()), nil, "")
	if err == nil || !strings.Contains(err.Error(), "unzip size exceeds") {
		t.Fatalf("bomb opened: err %v", err)
	}
	// The same workbook without the bomb still opens.
	if _, err := importer.NewParser(bytes.NewReader(good), importer.FormatXLSX, int64(len(good)), nil, ""); err != nil {
		t.Fatalf("good workbook: %v", err)
	}
}
