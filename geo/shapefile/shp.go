package shapefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Shape types.
const (
	typeNull      = 0
	typePolyLine  = 3
	typePolygon   = 5
	typePolyLineZ = 13
	typePolygonZ  = 15
	typePolyLineM = 23
	typePolygonM  = 25
)

func isPolygon(st int) bool  { return st == typePolygon || st == typePolygonZ || st == typePolygonM }
func isPolyLine(st int) bool { return st == typePolyLine || st == typePolyLineZ || st == typePolyLineM }

var be, le = binary.BigEndian, binary.LittleEndian

// readSHP decodes the geometries of a .shp file, one per record (nil for a
// Null shape): polygons, or polylines (a district's streets) as LineString
// or MultiLineString; Z and M values are dropped.
func readSHP(b []byte) ([]orb.Geometry, error) {
	if len(b) < 100 || be.Uint32(b[0:]) != 9994 {
		return nil, errors.New("shapefile: .shp: not a shapefile (bad file code)")
	}
	st := int(le.Uint32(b[32:]))
	if !isPolygon(st) && !isPolyLine(st) && st != typeNull {
		return nil, fmt.Errorf("shapefile: .shp: shape type %d, only polygons and polylines are supported", st)
	}
	var out []orb.Geometry
	off := 100
	for off+8 <= len(b) {
		n := int(be.Uint32(b[off+4:])) * 2
		rec := off + 8
		if n < 4 || rec+n > len(b) {
			return nil, fmt.Errorf("shapefile: .shp: record %d truncated", len(out)+1)
		}
		g, err := readShape(b[rec : rec+n])
		if err != nil {
			return nil, fmt.Errorf("shapefile: .shp: record %d: %w", len(out)+1, err)
		}
		out = append(out, g)
		off = rec + n
	}
	return out, nil
}

// readShape decodes one record: Null, a polygon or a polyline.
func readShape(c []byte) (orb.Geometry, error) {
	st := int(le.Uint32(c))
	switch {
	case st == typeNull:
		return nil, nil
	case isPolyLine(st):
		parts, pts, err := readParts(c, "polyline")
		if err != nil {
			return nil, err
		}
		var ls orb.MultiLineString
		for i := 0; i+1 < len(parts); i++ {
			l := make(orb.LineString, 0, parts[i+1]-parts[i])
			for k := parts[i]; k < parts[i+1]; k++ {
				l = append(l, point(pts, k))
			}
			ls = append(ls, l)
		}
		if len(ls) == 1 {
			return ls[0], nil
		}
		return ls, nil
	case isPolygon(st):
		return readPolygon(c)
	}
	return nil, fmt.Errorf("shape type %d is neither a polygon nor a polyline", st)
}

// readParts reads the part starts (with the point count appended) and the
// points' bytes of a polygon or polyline record (their layout is the same).
func readParts(c []byte, what string) ([]int, []byte, error) {
	if len(c) < 44 {
		return nil, nil, fmt.Errorf("%s header truncated", what)
	}
	np, npts := int(le.Uint32(c[36:])), int(le.Uint32(c[40:]))
	if np < 0 || npts < 0 || 44+4*np+16*npts > len(c) {
		return nil, nil, fmt.Errorf("%s parts or points beyond the record", what)
	}
	parts := make([]int, np+1)
	for i := 0; i < np; i++ {
		parts[i] = int(le.Uint32(c[44+4*i:]))
	}
	parts[np] = npts
	// Every part must start within the points and after the previous one,
	// checked before any is read (a later index bounds an earlier ring).
	for i := 0; i < np; i++ {
		if parts[i] < 0 || parts[i] > parts[i+1] {
			return nil, nil, errors.New("bad part index")
		}
	}
	return parts, c[44+4*np:], nil
}

func point(pts []byte, k int) orb.Point {
	return orb.Point{math.Float64frombits(le.Uint64(pts[16*k:])), math.Float64frombits(le.Uint64(pts[16*k+8:]))}
}

func readPolygon(c []byte) (orb.Geometry, error) {
	parts, pts, err := readParts(c, "polygon")
	if err != nil {
		return nil, err
	}
	var rs []orb.Ring
	for i := 0; i+1 < len(parts); i++ {
		r := make(orb.Ring, 0, parts[i+1]-parts[i])
		for k := parts[i]; k < parts[i+1]; k++ {
			r = append(r, point(pts, k))
		}
		rs = append(rs, r)
	}
	return assemble(rs), nil
}

// assemble groups rings into polygons: clockwise rings are shells,
// counter-clockwise ones holes of the smallest shell containing them.
func assemble(rs []orb.Ring) orb.Geometry {
	var shells []orb.Polygon
	var holes []orb.Ring
	for _, r := range rs {
		if len(r) == 0 {
			continue
		}
		if planar.Area(r) <= 0 || len(rs) == 1 { // clockwise (or lone ring)
			shells = append(shells, orb.Polygon{ccw(r)})
		} else {
			holes = append(holes, r)
		}
	}
	for _, h := range holes {
		best, bestArea := -1, math.Inf(1)
		for i, s := range shells {
			if a := math.Abs(planar.Area(s[0])); a < bestArea && s[0].Bound().Contains(h[0]) && planar.RingContains(s[0], h[0]) {
				best, bestArea = i, a
			}
		}
		if best < 0 {
			shells = append(shells, orb.Polygon{ccw(h)})
			continue
		}
		shells[best] = append(shells[best], cw(h))
	}
	if len(shells) == 1 {
		return shells[0]
	}
	return orb.MultiPolygon(shells)
}

func ccw(r orb.Ring) orb.Ring {
	if planar.Area(r) < 0 {
		return reversed(r)
	}
	return r
}

func cw(r orb.Ring) orb.Ring {
	if planar.Area(r) > 0 {
		return reversed(r)
	}
	return r
}

func reversed(r orb.Ring) orb.Ring {
	out := make(orb.Ring, len(r))
	for i, p := range r {
		out[len(r)-1-i] = p
	}
	return out
}

// polygons lists the polygons of g (nil, Polygon or MultiPolygon).
func polygons(g orb.Geometry) ([]orb.Polygon, error) {
	switch g := g.(type) {
	case nil:
		return nil, nil
	case orb.Polygon:
		return []orb.Polygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	}
	return nil, fmt.Errorf("shapefile: %T is not a polygon", g)
}

// writeSHP encodes geometries as Polygon records and returns the .shp and
// .shx bytes.
func writeSHP(gs []orb.Geometry) (shp, shx []byte, err error) {
	var b orb.Bound
	first := true
	var recs [][]byte
	for i, g := range gs {
		ps, err := polygons(g)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (record %d)", err, i+1)
		}
		if len(ps) == 0 {
			c := make([]byte, 4)
			recs = append(recs, c)
			continue
		}
		var rings []orb.Ring
		for _, p := range ps {
			for k, r := range p {
				if len(r) > 0 && r[0] != r[len(r)-1] {
					r = append(append(orb.Ring{}, r...), r[0])
				}
				if k == 0 {
					rings = append(rings, cw(r))
				} else {
					rings = append(rings, ccw(r))
				}
			}
		}
		gb := orb.MultiPolygon(ps).Bound()
		if first {
			b, first = gb, false
		} else {
			b = b.Union(gb)
		}
		npts := 0
		for _, r := range rings {
			npts += len(r)
		}
		c := make([]byte, 44+4*len(rings)+16*npts)
		le.PutUint32(c, typePolygon)
		putBox(c[4:], gb)
		le.PutUint32(c[36:], uint32(len(rings)))
		le.PutUint32(c[40:], uint32(npts))
		k := 0
		for i, r := range rings {
			le.PutUint32(c[44+4*i:], uint32(k))
			for _, p := range r {
				o := 44 + 4*len(rings) + 16*k
				le.PutUint64(c[o:], math.Float64bits(p[0]))
				le.PutUint64(c[o+8:], math.Float64bits(p[1]))
				k++
			}
		}
		recs = append(recs, c)
	}
	shpLen := 100
	for _, r := range recs {
		shpLen += 8 + len(r)
	}
	shp = make([]byte, 0, shpLen)
	shx = make([]byte, 0, 100+8*len(recs))
	shp = append(shp, header(shpLen, b)...)
	shx = append(shx, header(100+8*len(recs), b)...)
	for i, r := range recs {
		var h [8]byte
		be.PutUint32(h[:], uint32(len(shp)/2))
		be.PutUint32(h[4:], uint32(len(r)/2))
		shx = append(shx, h[:]...)
		be.PutUint32(h[:], uint32(i+1))
		shp = append(append(shp, h[:]...), r...)
	}
	return shp, shx, nil
}

func header(length int, b orb.Bound) []byte {
	h := make([]byte, 100)
	be.PutUint32(h, 9994)
	be.PutUint32(h[24:], uint32(length/2))
	le.PutUint32(h[28:], 1000)
	le.PutUint32(h[32:], typePolygon)
	putBox(h[36:], b)
	return h
}

func putBox(c []byte, b orb.Bound) {
	for i, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
		le.PutUint64(c[8*i:], math.Float64bits(v))
	}
}
