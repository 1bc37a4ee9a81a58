package shapefile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/paulmach/orb"
)

// Layer is a shapefile's content: fields, and per feature a geometry (nil,
// Polygon or MultiPolygon) and one text value per field.
type Layer struct {
	Fields   []Field
	Features []Feature
	// PRJ is the .prj text (WKT of the coordinate system), "" when absent.
	PRJ string
}

// Feature is one record.
type Feature struct {
	Geometry orb.Geometry
	Values   []string
}

// Value returns the feature's value of the named field (case-insensitive),
// "" when there is no such field.
func (l *Layer) Value(f Feature, name string) string {
	for i, fd := range l.Fields {
		if strings.EqualFold(fd.Name, name) && i < len(f.Values) {
			return f.Values[i]
		}
	}
	return ""
}

// Read decodes a shapefile from its parts; cpg (the .cpg text) and prj may
// be empty. Deleted DBF records are skipped with their shapes.
func Read(shp, dbf []byte, cpg, prj string) (*Layer, error) {
	gs, err := readSHP(shp)
	if err != nil {
		return nil, err
	}
	var ldid byte
	if len(dbf) > 29 {
		ldid = dbf[29]
	}
	dec, err := codePage(cpg, ldid)
	if err != nil {
		return nil, err
	}
	fields, rows, deleted, err := readDBF(dbf, dec)
	if err != nil {
		return nil, err
	}
	if len(rows) != len(gs) {
		return nil, fmt.Errorf("shapefile: %d shapes but %d attribute records", len(gs), len(rows))
	}
	l := &Layer{Fields: fields, PRJ: prj}
	for i, g := range gs {
		if deleted[i] {
			continue
		}
		l.Features = append(l.Features, Feature{Geometry: g, Values: rows[i]})
	}
	return l, nil
}

// MaxUnzipped bounds the decompressed bytes ReadZip reads from an archive
// (all entries together): a zip bomb of a few KB must not cost the server
// gigabytes. A city's grid layer (50,000 grids of a few hundred vertices)
// is well under it.
const MaxUnzipped = 256 << 20

// ErrTooLarge is returned (wrapped) when an archive decompresses to more
// than MaxUnzipped bytes.
var ErrTooLarge = errors.New("archive too large when decompressed")

// ReadZip reads the first .shp in a zip archive with its .dbf, .cpg and .prj
// (matched by base name, case-insensitive). Entries are read no further
// than MaxUnzipped bytes in total, and an entry whose content is longer or
// shorter than its declared size is refused.
func ReadZip(data []byte) (*Layer, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("shapefile: not a zip archive: %w", err)
	}
	parts := map[string]*zip.File{}
	var base string
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		if strings.HasPrefix(path.Base(name), "._") || strings.Contains(name, "__macosx/") {
			continue
		}
		ext := path.Ext(name)
		parts[strings.TrimSuffix(name, ext)+ext] = f
		if ext == ".shp" && base == "" {
			base = strings.TrimSuffix(name, ext)
		}
	}
	if base == "" {
		return nil, fmt.Errorf("shapefile: the archive holds no .shp file")
	}
	budget := int64(MaxUnzipped)
	read := func(ext string, required bool) ([]byte, error) {
		f, ok := parts[base+ext]
		if !ok {
			if required {
				return nil, fmt.Errorf("shapefile: the archive lacks %s%s", path.Base(base), ext)
			}
			return nil, nil
		}
		if f.UncompressedSize64 > uint64(budget) {
			return nil, fmt.Errorf("shapefile: %s declares %d bytes, more than the %d left of the %d-byte limit: %w", f.Name, f.UncompressedSize64, budget, MaxUnzipped, ErrTooLarge)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("shapefile: %s: %w", f.Name, err)
		}
		defer rc.Close()
		// One byte past the declared size shows a lying header.
		// archive/zip itself fails a read past the declared size (ErrFormat)
		// or short of it (unexpected EOF); both are a lying header.
		b, err := io.ReadAll(io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || (err == nil && uint64(len(b)) != f.UncompressedSize64) {
			return nil, fmt.Errorf("shapefile: %s declares %d bytes but its content disagrees: refused", f.Name, f.UncompressedSize64)
		}
		if err != nil {
			return nil, fmt.Errorf("shapefile: %s: %w", f.Name, err)
		}
		budget -= int64(len(b))
		return b, nil
	}
	shp, err := read(".shp", true)
	if err != nil {
		return nil, err
	}
	dbf, err := read(".dbf", true)
	if err != nil {
		return nil, err
	}
	cpg, err := read(".cpg", false)
	if err != nil {
		return nil, err
	}
	prj, err := read(".prj", false)
	if err != nil {
		return nil, err
	}
	return Read(shp, dbf, string(cpg), string(prj))
}

// WGS84PRJ is the .prj text of EPSG:4326 as GDAL writes it.
const WGS84PRJ = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`

// Files encodes the layer as the parts of a shapefile: name.shp, .shx, .dbf,
// .cpg (UTF-8) and .prj (l.PRJ, or WGS-84 when empty).
func (l *Layer) Files(name string) (map[string][]byte, error) {
	gs := make([]orb.Geometry, len(l.Features))
	rows := make([][]string, len(l.Features))
	for i, f := range l.Features {
		gs[i], rows[i] = f.Geometry, f.Values
	}
	shp, shx, err := writeSHP(gs)
	if err != nil {
		return nil, err
	}
	dbf, err := writeDBF(l.Fields, rows)
	if err != nil {
		return nil, err
	}
	prj := l.PRJ
	if prj == "" {
		prj = WGS84PRJ
	}
	return map[string][]byte{name + ".shp": shp, name + ".shx": shx, name + ".dbf": dbf,
		name + ".cpg": []byte("UTF-8"), name + ".prj": []byte(prj)}, nil
}

// WriteZip writes the layer's files into a zip archive.
func (l *Layer) WriteZip(w io.Writer, name string) error {
	files, err := l.Files(name)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	for _, ext := range []string{".shp", ".shx", ".dbf", ".cpg", ".prj"} {
		fw, err := zw.Create(name + ext)
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[name+ext]); err != nil {
			return err
		}
	}
	return zw.Close()
}
