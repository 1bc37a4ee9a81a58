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

// writers recycles layer writers (buffers and dictionaries) and builders
// (scratch buffers) across tiles.
var (
	writers  = sync.Pool{New: func() any { return newLayerWriter("", 0) }}
	builders = sync.Pool{New: func() any { return new(builder) }}
)

// hit is a feature found for a tile, with its id for sorting.
type hit struct {
	id uint64
	e  *entry
}

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
	// Features go out in id order, so equal layers give equal bytes (and
	// ETags) whatever the shape of their R-trees. Ids are sorted next to
	// the pointers: comparing through them was a seventh of low-zoom tiles.
	b := builders.Get().(*builder)
	defer func() {
		clear(b.hits) // do not keep old snapshots' features alive
		builders.Put(b)
	}()
	found := b.hits[:0]
	snap.tree.Search(sb.Min, sb.Max, func(_, _ [2]float64, e *entry) bool {
		found = append(found, hit{e.f.ID, e})
		return true
	})
	b.hits = found
	if len(found) == 0 {
		return nil
	}
	slices.SortFunc(found, func(a, b hit) int { return cmp.Compare(a.id, b.id) })

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
	b.scale = float64(uint64(1)<<z) * ext
	b.ox, b.oy = float64(x)*ext, float64(y)*ext
	b.box = orb.Bound{Min: orb.Point{-buf, -buf}, Max: orb.Point{ext + buf, ext + buf}}
	b.tol, b.minSize, b.pixel = max(tol, 0)*pixel, minSize*pixel, pixel
	b.holes = z >= spec.DetailZoom
	var keep func(string) bool
	if z < spec.DetailZoom {
		keep = func(k string) bool { return slices.Contains(spec.SummaryKeys, k) }
	}
	w := writers.Get().(*layerWriter)
	w.reset(spec.Name, opts.Extent)
	for _, h := range found {
		e := h.e
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
