package locate

import (
	"math"
	"math/big"
)

// ccwErrBoundA is Shewchuk's error bound for the floating-point orientation
// determinant: when |det| exceeds it times the magnitude of its terms, the
// sign of the float result is the sign of the exact determinant.
const ccwErrBoundA = (3 + 16*epsilon) * epsilon

const epsilon = 1.0 / (1 << 53)

// orient returns a value whose sign is the exact sign of the determinant
// (hx-lx)*(y-ly) - (hy-ly)*(x-lx): positive when (x, y) is left of the
// directed line l→h, zero when exactly on it. Like GEOS (and so PostGIS),
// the sign is exact for all finite float64 input: a fast filter decides
// almost every case; near-degenerate ones fall back to exact rational
// arithmetic (which allocates, but only for points within rounding distance
// of an edge's line).
func orient(lx, ly, hx, hy, x, y float64) float64 {
	detL := (hx - lx) * (y - ly)
	detR := (hy - ly) * (x - lx)
	det := detL - detR
	var sum float64
	switch {
	case detL > 0:
		if detR <= 0 {
			return det
		}
		sum = detL + detR
	case detL < 0:
		if detR >= 0 {
			return det
		}
		sum = -detL - detR
	default:
		return det
	}
	if bound := ccwErrBoundA * sum; det >= bound || -det >= bound {
		return det
	}
	return orientExact(lx, ly, hx, hy, x, y)
}

// orientExact computes the determinant's sign with big.Rat (every finite
// float64 is an exact rational). Non-finite input returns NaN.
func orientExact(lx, ly, hx, hy, x, y float64) float64 {
	var v [6]big.Rat
	for i, f := range [6]float64{lx, ly, hx, hy, x, y} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return math.NaN()
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
	return float64(l.Cmp(&r))
}
