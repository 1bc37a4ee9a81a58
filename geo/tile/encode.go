package tile

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
)

// Options are the tile parameters shared by Encode and TilesCovering; the
// zero value means the defaults.
type Options struct {
	// Extent is the number of integer units per tile side; 0 means 4096.
	Extent uint32
	// Buffer is the margin around the tile, in units, that features are kept
	// in so that strokes do not show seams; 0 means 64, negative means none.
	Buffer int
	// TileSize is the displayed size of a tile in pixels, which defines the
	// pixel used by tolerances and minimum sizes; 0 means 256.
	TileSize int
}

func (o Options) withDefaults() Options {
	if o.Extent == 0 {
		o.Extent = 4096
	}
	if o.Buffer == 0 {
		o.Buffer = 64
	}
	if o.Buffer < 0 {
		o.Buffer = 0
	}
	if o.TileSize <= 0 {
		o.TileSize = 256
	}
	return o
}

// bufferFraction is the buffer as a fraction of a tile side.
func (o Options) bufferFraction() float64 {
	o = o.withDefaults()
	return float64(o.Buffer) / float64(o.Extent)
}

// MaxZoom is the highest zoom Encode and TilesCovering accept.
const MaxZoom = 30

// ErrTileRange is returned for a zoom above MaxZoom or x/y outside the zoom.
var ErrTileRange = errors.New("tile: z/x/y out of range")

// Encode renders tile z/x/y of the layers as MVT v2 bytes, layers in the
// given order. Layers outside their zoom range and layers left without
// features are omitted; with none left the result is an empty (valid) tile.
// Layer names must be unique. Safe to call concurrently with layer updates:
// each layer is read from one snapshot.
func Encode(layers []*Layer, z, x, y int, opts Options) ([]byte, error) {
	if z < 0 || z > MaxZoom || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return nil, fmt.Errorf("%w: %d/%d/%d", ErrTileRange, z, x, y)
	}
	opts = opts.withDefaults()
	seen := make(map[string]bool, len(layers))
	var out []byte
	for _, l := range layers {
		if seen[l.spec.Name] {
			return nil, fmt.Errorf("tile: duplicate layer name %q", l.spec.Name)
		}
		seen[l.spec.Name] = true
		if w := encodeLayer(l, z, x, y, opts); w != nil {
			out = w.appendTo(out)
			writers.Put(w)
		}
	}
	if out == nil {
		out = []byte{}
	}
	return out, nil
}

// writers recycles layer writers (buffers and dictionaries) across tiles.
var writers = sync.Pool{New: func() any { return newLayerWriter("", 0) }}

// searchBound is the lon/lat bound of tile z/x/y grown by the buffer.
func searchBound(z, x, y int, buf float64) orb.Bound {
	n := float64(uint64(1) << z)
	nw := fromWorld(orb.Point{(float64(x) - buf) / n, math.Max(0, (float64(y)-buf)/n)})
	se := fromWorld(orb.Point{(float64(x) + 1 + buf) / n, math.Min(1, (float64(y)+1+buf)/n)})
	return orb.Bound{Min: orb.Point{nw[0], se[1]}, Max: orb.Point{se[0], nw[1]}}
}

// encodeLayer returns the filled writer of l for the tile, or nil when the
// layer has nothing there. Property values were checked on insertion, so it
// cannot fail.
func encodeLayer(l *Layer, z, x, y int, opts Options) *layerWriter {
	spec := l.spec
	if z < spec.MinZoom || (spec.MaxZoom > 0 && z > spec.MaxZoom) {
		return nil
	}
	snap := l.snap.Load()
	sb := searchBound(z, x, y, opts.bufferFraction())
	var found []*entry
	snap.tree.Search(sb.Min, sb.Max, func(_, _ [2]float64, e *entry) bool {
		found = append(found, e)
		return true
	})
	if len(found) == 0 {
		return nil
	}
	slices.SortFunc(found, func(a, b *entry) int { return cmp.Compare(a.f.ID, b.f.ID) })

	ext := float64(opts.Extent)
	pixel := ext / float64(opts.TileSize)
	tol := spec.Tolerance
	if tol == 0 {
		tol = 0.5
	}
	minSize := spec.MinSize
	if minSize <= 0 || minSize > 1 {
		minSize = 1
	}
	buf := float64(opts.Buffer)
	b := &builder{
		scale:   float64(uint64(1)<<z) * ext,
		ox:      float64(x) * ext,
		oy:      float64(y) * ext,
		box:     orb.Bound{Min: orb.Point{-buf, -buf}, Max: orb.Point{ext + buf, ext + buf}},
		tol:     max(tol, 0) * pixel,
		minSize: minSize * pixel,
		pixel:   pixel,
		holes:   z >= spec.DetailZoom,
	}
	var keep func(string) bool
	if z < spec.DetailZoom {
		keep = func(k string) bool { return slices.Contains(spec.SummaryKeys, k) }
	}
	w := writers.Get().(*layerWriter)
	w.reset(spec.Name, opts.Extent)
	for _, e := range found {
		if gt := b.feature(e); gt != 0 {
			w.add(e.f.ID, gt, b.cmds.data, e.f.Properties, e.vals, e.hashes, keep)
		}
	}
	if w.nfeat == 0 {
		writers.Put(w)
		return nil
	}
	return w
}
