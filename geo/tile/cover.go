package tile

import (
	"iter"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// TilesCovering yields, for each zoom from minZ to maxZ, every tile whose
// area grown by opts.Buffer intersects the lon/lat bound b (boundaries
// included), i.e. exactly the tiles whose Encode selects a feature with that
// bound. Use it with the old and the new bound of an edited feature to
// invalidate cached tiles. Zooms are clamped to [0, MaxZoom]; latitudes beyond
// ±85.0511 are clamped as in Web Mercator. An empty bound yields the tiles
// touching its single point.
func TilesCovering(b orb.Bound, minZ, maxZ int, opts Options) iter.Seq[maptile.Tile] {
	buf := opts.bufferFraction()
	minZ, maxZ = max(minZ, 0), min(maxZ, MaxZoom)
	return func(yield func(maptile.Tile) bool) {
		nw := toWorld(orb.Point{b.Min[0], b.Max[1]})
		se := toWorld(orb.Point{b.Max[0], b.Min[1]})
		for z := minZ; z <= maxZ; z++ {
			n := float64(uint64(1) << z)
			x0, x1 := coverRange(nw[0]*n, se[0]*n, buf, n)
			y0, y1 := coverRange(nw[1]*n, se[1]*n, buf, n)
			for x := x0; x <= x1; x++ {
				for y := y0; y <= y1; y++ {
					if !yield(maptile.New(uint32(x), uint32(y), maptile.Zoom(z))) {
						return
					}
				}
			}
		}
	}
}

// coverRange returns the tile indices t with [t-buf, t+1+buf] meeting [a, b]
// (in tile units), clamped to the zoom's n tiles.
func coverRange(a, b, buf, n float64) (int, int) {
	lo := math.Max(0, math.Ceil(a-buf-1))
	hi := math.Min(n-1, math.Floor(b+buf))
	return int(lo), int(hi)
}
