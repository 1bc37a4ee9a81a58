// Package mvtdecode decodes Mapbox Vector Tiles with the MVT 2.1 checks. Only
// tests use it (the server encodes, never decodes): kept out of geo/tile so
// the binary does not link orb's MVT decoder and gogo/protobuf.
package mvtdecode

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/protoscan"
)

// ErrInvalidTile is wrapped by every error Decode and DecodeStrict return for
// a tile that breaks the MVT 2.1 specification.
var ErrInvalidTile = errors.New("tile: invalid vector tile")

// Decode decodes MVT bytes (gzip-compressed or not) into orb layers after
// checking them against the MVT 2.1 specification, which mvt.Unmarshal does
// not. Fatal violations (wrong wire types, missing or unknown layer version,
// missing name, bad Value messages, tag indices out of range, broken command
// streams) reject the tile. Recoverable ones drop only the offending part: a
// layer whose name repeats an earlier one, or a feature with a missing or
// invalid type, no or repeated geometry, an odd tag count, a zero-length
// LineTo, a zero-area ring or a polygon starting with a hole. Features of type
// UNKNOWN are valid but dropped: orb has no geometry for them. Feature ids
// come back as float64 (orb's choice), exact up to 2^53. Coordinates stay in
// tile units.
func Decode(data []byte) (mvt.Layers, error) { return decode(data, false) }

// DecodeStrict is Decode without recovery: anything Decode would drop is an
// error. Used to check tiles this package writes.
func DecodeStrict(data []byte) (mvt.Layers, error) { return decode(data, true) }

func decode(data []byte, strict bool) (mvt.Layers, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrInvalidTile, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrInvalidTile, err)
		}
	}
	p, err := check(data)
	if err != nil {
		return nil, err
	}
	if p.dropped > 0 {
		if strict {
			return nil, fmt.Errorf("%w: %s", ErrInvalidTile, p.firstDrop)
		}
		data = p.rebuild(data)
	}
	layers, err := mvt.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidTile, err)
	}
	return layers, nil
}

// span is a byte range [from, to) of a protobuf field, tag included.
type span struct{ from, to int }

// layerPlan records what of one layer survives checking.
type layerPlan struct {
	fields []span       // every field of the layer message, in order
	feat   map[int]bool // indices into fields of dropped features
	drop   bool
	offset int // start of the layer message payload in the tile
}

// plan is the outcome of check: which layers and features to keep.
type plan struct {
	layers    []layerPlan
	dropped   int
	firstDrop string
}

func (p *plan) note(msg string) {
	if p.dropped == 0 {
		p.firstDrop = msg
	}
	p.dropped++
}

// rebuild re-serialises the tile without the dropped layers and features.
func (p *plan) rebuild(data []byte) []byte {
	var out []byte
	for _, l := range p.layers {
		if l.drop {
			continue
		}
		var body []byte
		for i, f := range l.fields {
			if !l.feat[i] {
				body = append(body, data[l.offset+f.from:l.offset+f.to]...)
			}
		}
		out = binary.AppendUvarint(out, 3<<3|2) // field 3 (layers), length-delimited
		out = binary.AppendUvarint(out, uint64(len(body)))
		out = append(out, body...)
	}
	return out
}

// Geometry command ids (MVT 2.1 §4.3.1).
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

// Feature geometry types (MVT 2.1 §4.3.4).
const (
	geomPoint      = 1
	geomLineString = 2
	geomPolygon    = 3
)

// ipt is a point in tile units; int64 keeps the ring area exact.
type ipt struct{ x, y int64 }

// area2 is twice the signed area of the open ring r (shoelace).
func area2(r []ipt) int64 {
	var s int64
	for i := range r {
		j := (i + 1) % len(r)
		s += r[i].x*r[j].y - r[j].x*r[i].y
	}
	return s
}

func fatal(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTile}, args...)...)
}

// check walks the whole tile and applies the specification's rules.
func check(data []byte) (*plan, error) {
	p := &plan{}
	names := map[string]bool{}
	m := protoscan.New(data)
	for m.Next() {
		if m.FieldNumber() != 3 {
			if err := skipField(m); err != nil {
				return nil, fatal("tile field %d: %v", m.FieldNumber(), err)
			}
			continue
		}
		if m.WireType() != protoscan.WireTypeLengthDelimited {
			return nil, fatal("layer field has wire type %d", m.WireType())
		}
		// MessageData returns a sub-slice of data; its offset lets rebuild copy fields.
		ld, err := m.MessageData()
		if err != nil {
			return nil, fatal("layer %d: %v", len(p.layers), err)
		}
		lp, name, err := checkLayer(ld, len(p.layers), p)
		if err != nil {
			return nil, err
		}
		lp.offset = m.Index - len(ld)
		if names[name] {
			lp.drop = true
			p.note(fmt.Sprintf("layer %d: duplicate name %q", len(p.layers), name))
		}
		names[name] = true
		p.layers = append(p.layers, lp)
	}
	if err := m.Err(); err != nil {
		return nil, fatal("tile: %v", err)
	}
	return p, nil
}

func checkLayer(data []byte, li int, p *plan) (layerPlan, string, error) {
	lp := layerPlan{feat: map[int]bool{}}
	var (
		name            string
		hasName, hasVer bool
		version         uint32
		extent          uint32 = 4096
		nkeys, nvals    int
		features        []int // indices into lp.fields
		featData        [][]byte
		want            = map[int]int{15: 0, 1: 2, 2: 2, 3: 2, 4: 2, 5: 0}
		valMsg          *protoscan.Message
		err             error
		fieldStart      int
		m               = protoscan.New(data)
	)
	for {
		fieldStart = m.Index
		if !m.Next() {
			break
		}
		fn, wt := m.FieldNumber(), m.WireType()
		if w, known := want[fn]; known && w != wt {
			return lp, "", fatal("layer %d: field %d has wire type %d, want %d", li, fn, wt, w)
		}
		switch fn {
		case 15:
			version, err = m.Uint32()
			hasVer = true
		case 1:
			name, err = m.String()
			hasName = true
		case 2:
			var fd []byte
			fd, err = m.MessageData()
			features = append(features, len(lp.fields))
			featData = append(featData, fd)
		case 3:
			_, err = m.String()
			nkeys++
		case 4:
			valMsg, err = m.Message(valMsg)
			if err == nil {
				err = checkValue(valMsg)
			}
			nvals++
		case 5:
			extent, err = m.Uint32()
		default:
			err = skipField(m)
		}
		if err != nil {
			return lp, "", fatal("layer %d field %d: %v", li, fn, err)
		}
		lp.fields = append(lp.fields, span{fieldStart, m.Index})
	}
	if err := m.Err(); err != nil {
		return lp, "", fatal("layer %d: %v", li, err)
	}
	switch {
	case !hasVer:
		return lp, "", fatal("layer %d: no version", li)
	case version != 1 && version != 2:
		return lp, "", fatal("layer %d: unknown version %d", li, version)
	case !hasName:
		return lp, "", fatal("layer %d: no name", li)
	case extent == 0:
		return lp, "", fatal("layer %d: zero extent", li)
	}
	for i, fd := range featData {
		reason, err := checkFeature(fd, nkeys, nvals)
		if err != nil {
			return lp, "", fmt.Errorf("layer %q feature %d: %w", name, i, err)
		}
		if reason != "" {
			lp.feat[features[i]] = true
			p.note(fmt.Sprintf("layer %q feature %d: %s", name, i, reason))
		}
	}
	return lp, name, nil
}

// checkValue requires exactly one known field with its proper wire type.
func checkValue(m *protoscan.Message) error {
	want := [...]int{1: 2, 2: 5, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0}
	n := 0
	for m.Next() {
		fn := m.FieldNumber()
		if fn < 1 || fn > 7 {
			return fmt.Errorf("value has unknown field %d", fn)
		}
		if m.WireType() != want[fn] {
			return fmt.Errorf("value field %d has wire type %d, want %d", fn, m.WireType(), want[fn])
		}
		if err := skipField(m); err != nil {
			return err
		}
		n++
	}
	if err := m.Err(); err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("value has %d fields, want 1", n)
	}
	return nil
}

// packed decodes a packed repeated uint32 field.
func packed(data []byte) ([]uint32, error) {
	var out []uint32
	for len(data) > 0 {
		v, n := binary.Uvarint(data)
		if n <= 0 || v > 1<<32-1 {
			return nil, errors.New("bad packed uint32")
		}
		out = append(out, uint32(v))
		data = data[n:]
	}
	return out, nil
}

// checkFeature returns a non-empty reason for a feature to drop
// (recoverable, or of type UNKNOWN) or an error for a fatal violation.
func checkFeature(data []byte, nkeys, nvals int) (string, error) {
	m := protoscan.New(data)
	var (
		tags, geom     []uint32
		geomType       uint64
		hasType        bool
		geoms, oddTags int
		err            error
		want           = map[int]int{1: 0, 2: 2, 3: 0, 4: 2}
	)
	for m.Next() {
		fn, wt := m.FieldNumber(), m.WireType()
		if w, known := want[fn]; known && w != wt {
			return "", fatal("field %d has wire type %d, want %d", fn, wt, w)
		}
		var raw []byte
		switch fn {
		case 2:
			if raw, err = m.Bytes(); err == nil {
				var t []uint32
				if t, err = packed(raw); err == nil {
					tags = append(tags, t...)
				}
			}
		case 3:
			geomType, err = m.Varint64()
			hasType = true
		case 4:
			if raw, err = m.Bytes(); err == nil {
				geom, err = packed(raw)
				geoms++
			}
		default:
			err = skipField(m)
		}
		if err != nil {
			return "", fatal("field %d: %v", fn, err)
		}
	}
	if err := m.Err(); err != nil {
		return "", fatal("%v", err)
	}
	if len(tags)%2 != 0 {
		oddTags = 1
	}
	for i := 0; i+1 < len(tags); i += 2 {
		if int(tags[i]) >= nkeys || int(tags[i+1]) >= nvals {
			return "", fatal("tag pair (%d,%d) out of range (%d keys, %d values)", tags[i], tags[i+1], nkeys, nvals)
		}
	}
	switch {
	case oddTags > 0:
		return "odd number of tags", nil
	case !hasType:
		return "no geometry type", nil
	case geomType == 0:
		return "geometry type UNKNOWN", nil
	case geomType > 3:
		return fmt.Sprintf("invalid geometry type %d", geomType), nil
	case geoms == 0:
		return "no geometry", nil
	case geoms > 1:
		return "repeated geometry field", nil
	}
	return checkCommands(int(geomType), geom)
}

// checkCommands validates a command stream for its geometry type (spec 4.3).
func checkCommands(geomType int, g []uint32) (string, error) {
	if len(g) == 0 {
		return "empty geometry", nil
	}
	i := 0
	var cx, cy int64
	next := func() (id, count int, err error) {
		c := g[i]
		i++
		id, count = int(c&7), int(c>>3)
		if id != cmdMoveTo && id != cmdLineTo && id != cmdClosePath {
			return 0, 0, fatal("unknown command %d", id)
		}
		if id != cmdClosePath && count > (len(g)-i)/2 {
			return 0, 0, fatal("command %d count %d exceeds the %d parameters left", id, count, len(g)-i)
		}
		return id, count, nil
	}
	// params reads count points; it reports whether a step had zero length.
	params := func(count int, pts []ipt) ([]ipt, bool) {
		zero := false
		for k := 0; k < count; k++ {
			dx := int64(int32(g[i]>>1) ^ -int32(g[i]&1))
			dy := int64(int32(g[i+1]>>1) ^ -int32(g[i+1]&1))
			i += 2
			zero = zero || (dx == 0 && dy == 0)
			cx, cy = cx+dx, cy+dy
			pts = append(pts, ipt{cx, cy})
		}
		return pts, zero
	}
	if geomType == geomPoint {
		id, count, err := next()
		if err != nil {
			return "", err
		}
		if id != cmdMoveTo || count == 0 {
			return "", fatal("point geometry must be one MoveTo with count > 0")
		}
		params(count, nil)
		if i != len(g) {
			return "", fatal("point geometry has data after its MoveTo")
		}
		return "", nil
	}
	reason := ""
	rings := 0
	var pts []ipt
	for i < len(g) {
		id, count, err := next()
		if err != nil {
			return "", err
		}
		if id != cmdMoveTo || count != 1 {
			return "", fatal("part must start with MoveTo count 1, got command %d count %d", id, count)
		}
		pts, _ = params(1, pts[:0])
		if i >= len(g) {
			return "", fatal("MoveTo without LineTo")
		}
		id, count, err = next()
		if err != nil {
			return "", err
		}
		if id != cmdLineTo || count == 0 {
			return "", fatal("MoveTo must be followed by LineTo, got command %d count %d", id, count)
		}
		var zero bool
		pts, zero = params(count, pts)
		if zero && reason == "" {
			reason = "zero-length LineTo"
		}
		if geomType == geomLineString {
			if i < len(g) && g[i]&7 == cmdClosePath {
				return "", fatal("ClosePath in a linestring")
			}
			continue
		}
		if i >= len(g) {
			return "", fatal("ring without ClosePath")
		}
		id, count, err = next()
		if err != nil {
			return "", err
		}
		if id != cmdClosePath || count != 1 {
			return "", fatal("ring must end with ClosePath count 1, got command %d count %d", id, count)
		}
		a := area2(pts)
		switch {
		case len(pts) < 3 && reason == "":
			reason = "ring with fewer than 3 vertices"
		case a == 0 && reason == "":
			reason = "zero-area ring"
		case rings == 0 && a < 0 && reason == "":
			reason = "polygon starts with an interior ring"
		}
		rings++
	}
	return reason, nil
}

// skipField moves past the current field. protoscan's Skip refuses a fixed
// 32/64-bit field that ends the message (off by one), so read instead.
func skipField(m *protoscan.Message) error {
	var err error
	switch m.WireType() {
	case protoscan.WireTypeVarint:
		_, err = m.Varint64()
	case protoscan.WireType64bit:
		_, err = m.Fixed64()
	case protoscan.WireTypeLengthDelimited:
		_, err = m.Bytes()
	case protoscan.WireType32bit:
		_, err = m.Fixed32()
	default:
		err = fmt.Errorf("unsupported wire type %d", m.WireType())
	}
	return err
}
