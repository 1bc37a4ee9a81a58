package tile

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
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
	vals   []valueKey
	valIdx valueTable
	tags   []uint32
	body   []byte
}

func newLayerWriter(name string, extent uint32) *layerWriter {
	return &layerWriter{name: name, extent: extent, keyIdx: map[string]uint32{}}
}

// valueKeyOf maps a property value to its de-duplication key, which also
// determines its encoding.
func valueKeyOf(v any) (valueKey, error) {
	switch v := v.(type) {
	case string:
		return valueKey{kind: 1, s: v}, nil
	case float32:
		return valueKey{kind: 2, u: uint64(math.Float32bits(v))}, nil
	case float64:
		return valueKey{kind: 3, u: math.Float64bits(v)}, nil
	case int:
		return signedKey(int64(v)), nil
	case int8:
		return signedKey(int64(v)), nil
	case int16:
		return signedKey(int64(v)), nil
	case int32:
		return signedKey(int64(v)), nil
	case int64:
		return signedKey(v), nil
	case uint:
		return valueKey{kind: 5, u: uint64(v)}, nil
	case uint8:
		return valueKey{kind: 5, u: uint64(v)}, nil
	case uint16:
		return valueKey{kind: 5, u: uint64(v)}, nil
	case uint32:
		return valueKey{kind: 5, u: uint64(v)}, nil
	case uint64:
		return valueKey{kind: 5, u: v}, nil
	case bool:
		if v {
			return valueKey{kind: 7, u: 1}, nil
		}
		return valueKey{kind: 7}, nil
	}
	return valueKey{}, fmt.Errorf("tile: unsupported property value type %T", v)
}

// appendValue appends the Value message body of k.
func appendValue(b []byte, k valueKey) []byte {
	switch k.kind {
	case 1:
		b = appendTag(b, 1, 2)
		b = appendVarint(b, uint64(len(k.s)))
		return append(b, k.s...)
	case 2:
		return binary.LittleEndian.AppendUint32(appendTag(b, 2, 5), uint32(k.u))
	case 3:
		return binary.LittleEndian.AppendUint64(appendTag(b, 3, 1), k.u)
	}
	// 5 uint, 6 sint (already zigzagged), 7 bool
	return appendVarint(appendTag(b, int(k.kind), 0), k.u)
}

// signedKey writes non-negative integers as uint_value and negative ones as
// zigzag sint_value, the shortest encodings.
func signedKey(v int64) valueKey {
	if v >= 0 {
		return valueKey{kind: 5, u: uint64(v)}
	}
	return valueKey{kind: 6, u: uint64((v << 1) ^ (v >> 63))}
}

// key finds a key's index: layers have few keys, and a scan of them beats
// hashing the string.
func (w *layerWriter) key(k string) (uint32, bool) {
	if len(w.keys) <= 16 {
		for i, s := range w.keys {
			if s == k {
				return uint32(i), true
			}
		}
		return 0, false
	}
	i, ok := w.keyIdx[k]
	return i, ok
}

// reset prepares a pooled writer for a new layer.
func (w *layerWriter) reset(name string, extent uint32) {
	w.name, w.extent, w.nfeat = name, extent, 0
	w.valIdx.reset()
	if len(w.keys) > 16 {
		clear(w.keyIdx)
	}
	w.feats, w.keys, w.vals = w.feats[:0], w.keys[:0], w.vals[:0]
}

// add appends one feature; vals are the precomputed keys of props' values,
// hashes their hashValue, and keep filters property keys (nil keeps all).
func (w *layerWriter) add(id uint64, geomType int, geom []uint32, props []Property, vals []valueKey, hashes []uint64, keep func(string) bool) {
	w.tags = w.tags[:0]
	for i, p := range props {
		if keep != nil && !keep(p.Key) {
			continue
		}
		ki, ok := w.key(p.Key)
		if !ok {
			ki = uint32(len(w.keys))
			w.keyIdx[p.Key] = ki
			w.keys = append(w.keys, p.Key)
		}
		vi := w.valIdx.index(hashes[i], vals[i], &w.vals)
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
}

// appendTo appends the layer as field 3 of a Tile message.
func (w *layerWriter) appendTo(dst []byte) []byte {
	head := appendVarint(appendTag(nil, 15, 0), 2)
	head = appendBytesField(head, 1, []byte(w.name))
	var tail []byte
	for _, k := range w.keys {
		tail = appendTag(tail, 3, 2)
		tail = appendVarint(tail, uint64(len(k)))
		tail = append(tail, k...)
	}
	var v []byte
	for _, k := range w.vals {
		v = appendValue(v[:0], k)
		tail = appendBytesField(tail, 4, v)
	}
	tail = appendVarint(appendTag(tail, 5, 0), uint64(w.extent))
	n := len(head) + len(w.feats) + len(tail)
	dst = slices.Grow(dst, n+2*binary.MaxVarintLen32)
	dst = appendTag(dst, 3, 2)
	dst = appendVarint(dst, uint64(n))
	dst = append(dst, head...)
	dst = append(dst, w.feats...)
	return append(dst, tail...)
}
