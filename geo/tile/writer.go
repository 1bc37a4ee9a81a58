package tile

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Own protobuf writing instead of mvt.Marshal: properties keep their order
// and the bytes are deterministic (strong ETags), and it avoids building the
// gogo/protobuf structs for every feature.

// MVT geometry command ids (spec 4.3.3).
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// MVT geometry types (spec 4.3.4).
const (
	geomPoint      = 1
	geomLineString = 2
	geomPolygon    = 3
)

func appendVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendTag(b []byte, field, wire int) []byte { return appendVarint(b, uint64(field<<3|wire)) }

func appendBytesField(b []byte, field int, data []byte) []byte {
	b = appendTag(b, field, 2)
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

func appendPacked(b []byte, field int, vs []uint32) []byte {
	n := 0
	for _, v := range vs {
		n += varintLen(uint64(v))
	}
	b = appendTag(b, field, 2)
	b = appendVarint(b, uint64(n))
	for _, v := range vs {
		b = appendVarint(b, uint64(v))
	}
	return b
}

func varintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func zigzag32(v int64) uint32 { return uint32((int32(v) << 1) ^ (int32(v) >> 31)) }

// commands accumulates a geometry command stream; the cursor carries over
// between parts of one feature, as the spec requires.
type commands struct {
	data   []uint32
	cx, cy int64
}

func (c *commands) reset() { c.data, c.cx, c.cy = c.data[:0], 0, 0 }

func (c *commands) cmd(id, count int) { c.data = append(c.data, uint32(id&7|count<<3)) }

func (c *commands) point(p ipt) {
	c.data = append(c.data, zigzag32(p.x-c.cx), zigzag32(p.y-c.cy))
	c.cx, c.cy = p.x, p.y
}

// points writes one MoveTo with all points (a point or multipoint feature).
func (c *commands) points(ps []ipt) {
	c.cmd(cmdMoveTo, len(ps))
	for _, p := range ps {
		c.point(p)
	}
}

// line writes MoveTo then LineTo; an open ring adds ClosePath.
func (c *commands) line(ps []ipt, closed bool) {
	c.cmd(cmdMoveTo, 1)
	c.point(ps[0])
	c.cmd(cmdLineTo, len(ps)-1)
	for _, p := range ps[1:] {
		c.point(p)
	}
	if closed {
		c.cmd(cmdClosePath, 1)
	}
}

// valueKey identifies a property value for de-duplication in a layer.
type valueKey struct {
	kind byte
	u    uint64
	s    string
}

// layerWriter builds one MVT layer message.
type layerWriter struct {
	name   string
	extent uint32
	feats  []byte
	nfeat  int
	keys   []string
	keyIdx map[string]uint32
	vals   [][]byte
	valIdx map[valueKey]uint32
	tags   []uint32
	body   []byte
}

func newLayerWriter(name string, extent uint32) *layerWriter {
	return &layerWriter{name: name, extent: extent, keyIdx: map[string]uint32{}, valIdx: map[valueKey]uint32{}}
}

// encodeValue returns the de-duplication key and the Value message body.
func encodeValue(v any) (valueKey, []byte, error) {
	var k valueKey
	switch v := v.(type) {
	case string:
		k = valueKey{kind: 1, s: v}
	case float32:
		k = valueKey{kind: 2, u: uint64(math.Float32bits(v))}
	case float64:
		k = valueKey{kind: 3, u: math.Float64bits(v)}
	case int:
		k = signedKey(int64(v))
	case int8:
		k = signedKey(int64(v))
	case int16:
		k = signedKey(int64(v))
	case int32:
		k = signedKey(int64(v))
	case int64:
		k = signedKey(v)
	case uint:
		k = valueKey{kind: 5, u: uint64(v)}
	case uint8:
		k = valueKey{kind: 5, u: uint64(v)}
	case uint16:
		k = valueKey{kind: 5, u: uint64(v)}
	case uint32:
		k = valueKey{kind: 5, u: uint64(v)}
	case uint64:
		k = valueKey{kind: 5, u: v}
	case bool:
		k = valueKey{kind: 7}
		if v {
			k.u = 1
		}
	default:
		return k, nil, fmt.Errorf("tile: unsupported property value type %T", v)
	}
	var b []byte
	switch k.kind {
	case 1:
		b = appendBytesField(b, 1, []byte(k.s))
	case 2:
		b = binary.LittleEndian.AppendUint32(appendTag(b, 2, 5), uint32(k.u))
	case 3:
		b = binary.LittleEndian.AppendUint64(appendTag(b, 3, 1), k.u)
	default: // 5 uint, 6 sint (already zigzagged), 7 bool
		b = appendVarint(appendTag(b, int(k.kind), 0), k.u)
	}
	return k, b, nil
}

// signedKey writes non-negative integers as uint_value and negative ones as
// zigzag sint_value, the shortest encodings.
func signedKey(v int64) valueKey {
	if v >= 0 {
		return valueKey{kind: 5, u: uint64(v)}
	}
	return valueKey{kind: 6, u: uint64((v << 1) ^ (v >> 63))}
}

// add appends one feature; keep filters property keys (nil keeps all).
func (w *layerWriter) add(id uint64, geomType int, geom []uint32, props []Property, keep func(string) bool) error {
	w.tags = w.tags[:0]
	for _, p := range props {
		if keep != nil && !keep(p.Key) {
			continue
		}
		ki, ok := w.keyIdx[p.Key]
		if !ok {
			ki = uint32(len(w.keys))
			w.keyIdx[p.Key] = ki
			w.keys = append(w.keys, p.Key)
		}
		k, enc, err := encodeValue(p.Value)
		if err != nil {
			return fmt.Errorf("feature %d property %q: %w", id, p.Key, err)
		}
		vi, ok := w.valIdx[k]
		if !ok {
			vi = uint32(len(w.vals))
			w.valIdx[k] = vi
			w.vals = append(w.vals, enc)
		}
		w.tags = append(w.tags, ki, vi)
	}
	b := w.body[:0]
	b = appendVarint(appendTag(b, 1, 0), id)
	if len(w.tags) > 0 {
		b = appendPacked(b, 2, w.tags)
	}
	b = appendVarint(appendTag(b, 3, 0), uint64(geomType))
	b = appendPacked(b, 4, geom)
	w.body = b
	w.feats = appendBytesField(w.feats, 2, b)
	w.nfeat++
	return nil
}

// appendTo appends the layer as field 3 of a Tile message.
func (w *layerWriter) appendTo(dst []byte) []byte {
	var l []byte
	l = appendVarint(appendTag(l, 15, 0), 2)
	l = appendBytesField(l, 1, []byte(w.name))
	l = append(l, w.feats...)
	for _, k := range w.keys {
		l = appendBytesField(l, 3, []byte(k))
	}
	for _, v := range w.vals {
		l = appendBytesField(l, 4, v)
	}
	l = appendVarint(appendTag(l, 5, 0), uint64(w.extent))
	return appendBytesField(dst, 3, l)
}
