// Package predicate holds the exact geometric predicates wangge's geometry
// rests on. Like GEOS (and so PostGIS), the answers are exact for every
// finite float64 input, so topology never depends on rounding.
package predicate

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// errBound is Shewchuk's error bound for the floating-point orientation
// determinant: when |det| exceeds it times the magnitude of its terms, the
// sign of the float result is the sign of the exact determinant.
const errBound = (3 + 16*epsilon) * epsilon

const epsilon = 1.0 / (1 << 53)

// Orient returns +1 if c lies left of the directed line a→b, -1 if right,
// 0 if exactly on it (or if any coordinate is not finite, which callers
// refuse elsewhere). A floating-point filter decides almost every case;
// near-degenerate ones fall back to exact rational arithmetic (which
// allocates, but only for points within rounding distance of the line).
func Orient(a, b, c orb.Point) int {
	if c == a || c == b || a == b {
		return 0 // shared vertices are the common case: skip the exact path
	}
	detL := (b[0] - a[0]) * (c[1] - a[1])
	detR := (b[1] - a[1]) * (c[0] - a[0])
	det := detL - detR
	if math.IsNaN(det) || math.IsInf(det, 0) {
		return 0
	}
	var sum float64
	switch {
	case detL > 0:
		if detR <= 0 {
			return sign(det)
		}
		sum = detL + detR
	case detL < 0:
		if detR >= 0 {
			return sign(det)
		}
		sum = -detL - detR
	default:
		return sign(det)
	}
	if bound := errBound * sum; det >= bound || -det >= bound {
		return sign(det)
	}
	return Exact(a, b, c)
}

func sign(d float64) int {
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

// Exact is Orient computed with big.Rat throughout (every finite float64 is
// an exact rational); 0 for non-finite input. Orient's reference.
func Exact(a, b, c orb.Point) int {
	var v [6]big.Rat
	for i, f := range [6]float64{a[0], a[1], b[0], b[1], c[0], c[1]} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0
		}
		v[i].SetFloat64(f)
	}
	var dx1, dy1, dx2, dy2, l, r big.Rat
	dx1.Sub(&v[2], &v[0])
	dy2.Sub(&v[5], &v[1])
	dy1.Sub(&v[3], &v[1])
	dx2.Sub(&v[4], &v[0])
	l.Mul(&dx1, &dy2)
	r.Mul(&dy1, &dx2)
	return l.Cmp(&r)
}
