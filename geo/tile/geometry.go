package tile

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
)

// builder turns world geometries into the command stream of one tile and
// layer. It is used by one goroutine at a time and recycled with its
// scratch buffers.
type builder struct {
	hits          []hit     // scratch: the features of the tile
	scale, ox, oy float64   // world → tile units: p*scale - o
	box           orb.Bound // clip box in tile units (tile plus buffer)
	tol           float64   // simplification tolerance in units, 0 = none
	minSize       float64   // droppable below this size in units
	pixel         float64   // one pixel in units
	holes         bool      // write holes
	cmds          commands
	ibuf          []ipt
	pa, pb, dbuf  []orb.Point // scratch: exterior, reprojection/holes, simplification
	mask          []bool
	stack         []int
}

// project maps world points to tile units into the scratch slice *buf
// (clipping and simplification work in place, never on the layer's data).
func (b *builder) project(buf *[]orb.Point, ps []orb.Point) []orb.Point {
	out := (*buf)[:0]
	for _, p := range ps {
		out = append(out, orb.Point{p[0]*b.scale - b.ox, p[1]*b.scale - b.oy})
	}
	*buf = out
	return out
}

func (b *builder) tileBound(wb orb.Bound) orb.Bound {
	return orb.Bound{
		Min: orb.Point{wb.Min[0]*b.scale - b.ox, wb.Min[1]*b.scale - b.oy},
		Max: orb.Point{wb.Max[0]*b.scale - b.ox, wb.Max[1]*b.scale - b.oy},
	}
}

func contains(outer, inner orb.Bound) bool {
	return outer.Min[0] <= inner.Min[0] && outer.Min[1] <= inner.Min[1] &&
		outer.Max[0] >= inner.Max[0] && outer.Max[1] >= inner.Max[1]
}

func extent(b orb.Bound) float64 { return max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]) }

// feature writes the geometry of e into b.cmds and returns its MVT type, or
// 0 when nothing of it is left in this tile.
func (b *builder) feature(e *entry) int {
	b.cmds.reset()
	tb := b.tileBound(e.wb)
	switch g := e.world.(type) {
	case orb.Point:
		return b.points([]orb.Point{g})
	case orb.MultiPoint:
		return b.points(g)
	case orb.LineString:
		if extent(tb) < b.minSize {
			return 0
		}
		return b.lines(orb.MultiLineString{g})
	case orb.MultiLineString:
		if extent(tb) < b.minSize {
			return 0
		}
		return b.lines(g)
	case orb.Polygon:
		if extent(tb) < b.minSize {
			return 0
		}
		return b.polygons(orb.MultiPolygon{g}, e.parts, extent(tb) >= b.pixel)
	case orb.MultiPolygon:
		if extent(tb) < b.minSize {
			return 0
		}
		return b.polygons(g, e.parts, extent(tb) >= b.pixel)
	}
	return 0
}

func (b *builder) points(ps []orb.Point) int {
	b.ibuf = b.ibuf[:0]
	for _, p := range ps {
		q := orb.Point{p[0]*b.scale - b.ox, p[1]*b.scale - b.oy}
		if b.box.Contains(q) {
			b.ibuf = append(b.ibuf, ipt{int64(math.Round(q[0])), int64(math.Round(q[1]))})
		}
	}
	if len(b.ibuf) == 0 {
		return 0
	}
	b.cmds.points(b.ibuf)
	return geomPoint
}

func (b *builder) lines(mls orb.MultiLineString) int {
	n := 0
	for _, l := range mls {
		if len(l) < 2 {
			continue
		}
		pts := b.project(&b.pa, l)
		pieces := orb.MultiLineString{pts}
		if !contains(b.box, orb.LineString(pts).Bound()) {
			pieces = clip.LineString(b.box, pts)
		}
		for _, piece := range pieces {
			if b.tol > 0 && len(piece) > 2 {
				piece = douglasPeucker(piece, b.tol, &b.mask, &b.stack)
			}
			b.ibuf = snapPoints(b.ibuf, piece, false)
			if len(b.ibuf) >= 2 {
				b.cmds.line(b.ibuf, false)
				n++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return geomLineString
}

// polygons writes every part that survives; big means the whole feature is at
// least one pixel and must not vanish from a tile it really overlaps.
func (b *builder) polygons(mp orb.MultiPolygon, parts []orb.Bound, big bool) int {
	n := 0
	var fallback orb.Bound // largest overlapping exterior, for the last resort
	haveFallback := false
	for i, p := range mp {
		if len(p) == 0 || len(p[0]) < 3 {
			continue
		}
		pb := b.tileBound(parts[i])
		if !pb.Intersects(b.box) {
			continue
		}
		ext := b.project(&b.pa, p[0])
		clipped := !contains(b.box, pb)
		if clipped {
			if ext = clip.Ring(b.box, ext); ext == nil {
				continue
			}
			// Sutherland-Hodgman leaves a zero-area ring along the border for
			// a ring that only passes around a corner of the box.
			if math.Abs(floatArea2(ext)) < 1e-9 {
				continue
			}
		}
		// Clipping a concave outline can leave lobes joined along the border
		// (a self-touching ring); then the part is written unclipped, which
		// MVT allows, before falling back to a rectangle.
		if !b.ring(ext, 1) && (!clipped || !b.ring(b.project(&b.pb, p[0]), 1)) {
			cb := orb.Ring(ext).Bound()
			if extent(pb) < b.pixel {
				if !haveFallback || extent(cb) > extent(fallback) {
					fallback, haveFallback = cb, true
				}
				continue
			}
			b.rect(cb)
		}
		n++
		if !b.holes {
			continue
		}
		for _, h := range p[1:] {
			if len(h) < 3 {
				continue
			}
			hole := b.project(&b.pb, h)
			hb := orb.Ring(hole).Bound()
			holeClipped := !contains(b.box, hb)
			if holeClipped {
				if !hb.Intersects(b.box) {
					continue
				}
				if hole = clip.Ring(b.box, hole); hole == nil || math.Abs(floatArea2(hole)) < 1e-9 {
					continue
				}
			}
			// An invalid hole is dropped.
			if !b.ring(hole, -1) && holeClipped {
				b.ring(b.project(&b.pb, h), -1)
			}
		}
	}
	if n == 0 && big && haveFallback {
		b.rect(fallback)
		n++
	}
	if n == 0 {
		return 0
	}
	return geomPolygon
}

// ring writes the most simplified valid version of the closed ring pts with
// the winding of orient (+1 exterior, -1 hole) and reports success.
func (b *builder) ring(pts []orb.Point, orient int64) bool {
	for _, tol := range [...]float64{b.tol, b.tol / 4, 0} {
		work := pts
		simplified := false
		if tol > 0 && len(pts) > 4 {
			b.dbuf = append(b.dbuf[:0], pts...)
			work = douglasPeucker(b.dbuf, tol, &b.mask, &b.stack)
			simplified = len(work) < len(pts)
		}
		b.ibuf = cleanRing(snapPoints(b.ibuf, work, true))
		if validRing(b.ibuf) {
			if area2(b.ibuf)*orient < 0 {
				reverse(b.ibuf)
			}
			b.cmds.line(b.ibuf, true)
			return true
		}
		if !simplified {
			// Lower tolerances give the same points.
			break
		}
	}
	return false
}

// reverse reverses an open ring keeping its first vertex.
func reverse(r []ipt) {
	for i, j := 1, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}

// rect writes the integer bounding box of bound (at least one unit each way)
// as an exterior ring: the last resort for a visible polygon whose outline
// collapses on the integer grid.
func (b *builder) rect(bound orb.Bound) {
	x0, y0 := int64(math.Round(bound.Min[0])), int64(math.Round(bound.Min[1]))
	x1, y1 := int64(math.Round(bound.Max[0])), int64(math.Round(bound.Max[1]))
	if x1 == x0 {
		x1++
	}
	if y1 == y0 {
		y1++
	}
	// Clockwise on screen (y down): positive area.
	b.ibuf = append(b.ibuf[:0], ipt{x0, y0}, ipt{x1, y0}, ipt{x1, y1}, ipt{x0, y1})
	b.cmds.line(b.ibuf, true)
}

// floatArea2 is twice the signed area of a closed or open ring.
func floatArea2(r []orb.Point) float64 {
	var s float64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s
}
