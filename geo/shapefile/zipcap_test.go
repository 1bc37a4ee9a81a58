package shapefile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// lyingZip holds one entry name whose content is n zero bytes, compressed,
// with the header declaring `declared` bytes.
func lyingZip(t *testing.T, name string, n int, declared uint64) []byte {
	t.Helper()
	content := make([]byte, n)
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(content)
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	dw, _ := zw.Create("a.dbf")
	dw.Write([]byte{3})
	zw.Close()
	return buf.Bytes()
}

// TestReadZipCapsDecompressedSize: an entry declaring more than MaxUnzipped
// is refused before it is inflated (ErrTooLarge), and an entry whose content
// disagrees with its declared size is refused whichever way it lies.
func TestReadZipCapsDecompressedSize(t *testing.T) {
	if _, err := ReadZip(lyingZip(t, "a.shp", 1000, 1<<30)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("1 GiB declared: err %v, want ErrTooLarge", err)
	}
	// A bomb that declares a small size: read stops one byte past it.
	if _, err := ReadZip(lyingZip(t, "a.shp", 4<<20, 100)); err == nil || !strings.Contains(err.Error(), "declares 100 bytes") {
		t.Errorf("understated size: err %v", err)
	}
	if _, err := ReadZip(lyingZip(t, "a.shp", 100, 5000)); err == nil || !strings.Contains(err.Error(), "declares 5000 bytes") {
		t.Errorf("overstated size: err %v", err)
	}
	// A real bomb within the per-entry declaration but over the total.
	if _, err := ReadZip(lyingZip(t, "a.shp", 1000, MaxUnzipped+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("just over the limit: err %v", err)
	}
}
