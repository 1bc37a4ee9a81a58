package coverage

import (
	"fmt"

	"github.com/paulmach/orb"
	sf "github.com/peterstace/simplefeatures/geom"
)

// Polygon boolean operations come from simplefeatures (pure Go DCEL
// overlay); every call is guarded so a numerical failure deep inside it
// becomes an error, never a panic.

func toSFRing(r orb.Ring) sf.LineString {
	flat := make([]float64, 0, 2*len(r)+2)
	for _, p := range r {
		flat = append(flat, p[0], p[1])
	}
	if len(r) > 0 && r[0] != r[len(r)-1] {
		flat = append(flat, r[0][0], r[0][1])
	}
	return sf.NewLineString(sf.NewSequence(flat, sf.DimXY))
}

func toSFPolygon(p orb.Polygon) sf.Polygon {
	rings := make([]sf.LineString, 0, len(p))
	for _, r := range p {
		if len(r) < 3 {
			continue
		}
		rings = append(rings, toSFRing(r))
	}
	return sf.NewPolygon(rings)
}

// toSF converts the polygons of g into a simplefeatures MultiPolygon geometry.
func toSF(g orb.Geometry) sf.Geometry {
	ps := polygonsOf(g)
	out := make([]sf.Polygon, 0, len(ps))
	for _, p := range ps {
		if len(p) == 0 || len(p[0]) < 3 {
			continue
		}
		out = append(out, toSFPolygon(p))
	}
	return sf.NewMultiPolygon(out).AsGeometry()
}

func fromSFSeq(s sf.Sequence) []orb.Point {
	out := make([]orb.Point, s.Length())
	for i := range out {
		xy := s.GetXY(i)
		out[i] = orb.Point{xy.X, xy.Y}
	}
	return out
}

func fromSFPolygon(p sf.Polygon) orb.Polygon {
	var out orb.Polygon
	for _, r := range p.DumpRings() {
		out = append(out, orb.Ring(fromSFSeq(r.Coordinates())))
	}
	return out
}

// fromSF keeps the polygonal parts of g as an orb.MultiPolygon.
func fromSF(g sf.Geometry) orb.MultiPolygon {
	var out orb.MultiPolygon
	switch g.Type() {
	case sf.TypePolygon:
		p, _ := g.AsPolygon()
		if !p.IsEmpty() {
			out = append(out, fromSFPolygon(p))
		}
	case sf.TypeMultiPolygon:
		mp, _ := g.AsMultiPolygon()
		for _, p := range mp.Dump() {
			if !p.IsEmpty() {
				out = append(out, fromSFPolygon(p))
			}
		}
	case sf.TypeGeometryCollection:
		gc, _ := g.AsGeometryCollection()
		for _, c := range gc.Dump() {
			out = append(out, fromSF(c)...)
		}
	}
	return out
}

// fromSFAny converts a simplefeatures geometry to orb (polygons, lines).
func fromSFAny(g sf.Geometry) orb.Geometry {
	switch g.Type() {
	case sf.TypePolygon, sf.TypeMultiPolygon:
		mp := fromSF(g)
		if len(mp) == 1 {
			return mp[0]
		}
		return mp
	case sf.TypeLineString:
		ls, _ := g.AsLineString()
		return orb.LineString(fromSFSeq(ls.Coordinates()))
	case sf.TypeMultiLineString:
		mls, _ := g.AsMultiLineString()
		var out orb.MultiLineString
		for _, ls := range mls.Dump() {
			out = append(out, orb.LineString(fromSFSeq(ls.Coordinates())))
		}
		return out
	case sf.TypeGeometryCollection:
		gc, _ := g.AsGeometryCollection()
		var out orb.Collection
		for _, c := range gc.Dump() {
			out = append(out, fromSFAny(c))
		}
		return out
	}
	return nil
}

// safeOp runs a simplefeatures operation, turning panics into errors.
func safeOp(op func() (sf.Geometry, error)) (g sf.Geometry, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("overlay failed: %v", r)
		}
	}()
	return op()
}

func intersection(a, b orb.Geometry) (orb.MultiPolygon, error) {
	g, err := safeOp(func() (sf.Geometry, error) { return sf.Intersection(toSF(a), toSF(b)) })
	if err != nil {
		return nil, err
	}
	return fromSF(g), nil
}

func difference(a, b orb.Geometry) (orb.MultiPolygon, error) {
	g, err := safeOp(func() (sf.Geometry, error) { return sf.Difference(toSF(a), toSF(b)) })
	if err != nil {
		return nil, err
	}
	return fromSF(g), nil
}

func unionAll(gs []orb.Geometry) (orb.MultiPolygon, error) {
	in := make([]sf.Geometry, len(gs))
	for i, g := range gs {
		in[i] = toSF(g)
	}
	g, err := safeOp(func() (sf.Geometry, error) { return sf.UnionMany(in) })
	if err != nil {
		return nil, err
	}
	return fromSF(g), nil
}

// Union returns the union of the polygonal geometries gs (lon/lat or
// planar alike) as a MultiPolygon; non-polygonal inputs are ignored and an
// error is returned when the overlay fails numerically.
func Union(gs []orb.Geometry) (orb.MultiPolygon, error) {
	return unionAll(gs)
}
