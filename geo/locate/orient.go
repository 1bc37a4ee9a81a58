package locate

import (
	"github.com/paulmach/orb"

	"wangge/geo/predicate"
)

// orient is the exact orientation predicate (geo/predicate) in pip's
// coordinates: +1 when (x, y) is left of the directed line l→h, 0 when
// exactly on it, -1 when right.
func orient(lx, ly, hx, hy, x, y float64) int {
	return predicate.Orient(orb.Point{lx, ly}, orb.Point{hx, hy}, orb.Point{x, y})
}
