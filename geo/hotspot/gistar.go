package hotspot

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Class is ArcGIS's Gi_Bin: +3/+2/+1 hot spot at 99/95/90 % confidence,
// −3/−2/−1 cold spot, 0 not significant.
type Class int8

// String names the class as the API writes it.
func (c Class) String() string {
	switch c {
	case 3:
		return "hot99"
	case 2:
		return "hot95"
	case 1:
		return "hot90"
	case -1:
		return "cold90"
	case -2:
		return "cold95"
	case -3:
		return "cold99"
	}
	return "none"
}

// levels are the confidence levels as significance α, strictest first.
var levels = [3]float64{0.01, 0.05, 0.10}

// Rule for claiming significance. Below either minimum no bin is classed:
// Gi* is a normal approximation that needs many bins (ArcGIS warns below 30
// features) and a handful of cases in many empty bins makes any bin with one
// case look "significant".
const (
	MinBins  = 30 // bins in the study area
	MinTotal = 30 // summed counts over all bins
)

// Result is Gi* per bin.
type Result struct {
	Z, P  []float64 // z-score and two-sided normal p-value per bin
	Class []Class   // after the FDR correction (or raw p when Options.NoFDR)
	// Insufficient, when not empty, says why no significance is claimed
	// (every Class is 0); Z and P are still the formula's values, or 0 and 1
	// where it is undefined.
	Insufficient string
}

// Options adjust GiStar; the zero value is the documented rule.
type Options struct {
	NoFDR bool // class by the raw p-values (for comparison; the API always corrects)
}

// GiStar computes Gi* z-scores of values under weights w (self included),
// their p-values and classes with the Benjamini–Hochberg correction.
func GiStar(ctx context.Context, values []float64, w *Weights, opt Options) (Result, error) {
	n := len(values)
	if w == nil || w.N() != n {
		return Result{}, fmt.Errorf("hotspot: %d values need weights for as many bins", n)
	}
	r := Result{Z: make([]float64, n), P: make([]float64, n), Class: make([]Class, n)}
	var sum, sum2 float64
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return Result{}, fmt.Errorf("hotspot: value %v: want finite non-negative counts or rates", v)
		}
		sum += v
		sum2 += v * v
	}
	for i := range r.P {
		r.P[i] = 1
	}
	if n < 2 {
		r.Insufficient = fmt.Sprintf("%d bins: at least %d are needed", n, MinBins)
		return r, nil
	}
	fn := float64(n)
	mean := sum / fn
	s := math.Sqrt(max(sum2/fn-mean*mean, 0))
	if s == 0 || s <= 1e-12*mean {
		r.Insufficient = "every bin has the same value: nothing stands out"
		return r, nil
	}
	for i := range n {
		if i%checkEvery == 0 && ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		// Binary weights: Σw = Σw² = W, so n·Σw² − (Σw)² = W(n − W).
		nb := w.Neighbours(i)
		var wx float64
		for _, j := range nb {
			wx += values[j]
		}
		wsum := float64(len(nb))
		d := wsum * (fn - wsum)
		if d <= 0 { // the neighbourhood is every bin: no contrast
			continue
		}
		z := (wx - mean*wsum) / (s * math.Sqrt(d/(fn-1)))
		r.Z[i], r.P[i] = z, TwoSidedP(z)
	}
	switch {
	case n < MinBins:
		r.Insufficient = fmt.Sprintf("%d bins: at least %d are needed for a significance test", n, MinBins)
	case sum < MinTotal:
		r.Insufficient = fmt.Sprintf("%g cases: at least %d are needed for a significance test", sum, MinTotal)
	}
	if r.Insufficient != "" {
		return r, nil
	}
	for k, alpha := range levels {
		crit := alpha
		if !opt.NoFDR {
			crit = BHThreshold(r.P, alpha)
		}
		for i, p := range r.P {
			if r.Class[i] == 0 && p <= crit {
				c := Class(3 - k)
				if r.Z[i] < 0 {
					c = -c
				}
				r.Class[i] = c
			}
		}
	}
	return r, nil
}

// TwoSidedP is the two-sided p-value of a standard normal z-score.
func TwoSidedP(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

// BHThreshold is the Benjamini–Hochberg critical p-value at false discovery
// rate alpha: the largest p_(k) with p_(k) ≤ k·alpha/m over the sorted
// p-values; tests with p at or below it are discoveries. No discovery: -1.
func BHThreshold(p []float64, alpha float64) float64 {
	sorted := slices.Clone(p)
	slices.Sort(sorted)
	m := float64(len(sorted))
	for k := len(sorted); k >= 1; k-- {
		if sorted[k-1] <= float64(k)*alpha/m {
			return sorted[k-1]
		}
	}
	return -1
}
