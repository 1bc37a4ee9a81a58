package hotspot

import "math"

// Trend is a bin's emerging-hotspot category over time steps, after ArcGIS's
// Emerging Hot Spot Analysis (a subset: the hot-spot patterns a leader acts on).
type Trend int8

// Trends. "Hot" is a Gi* class above 0 (after FDR) in a time step.
const (
	TrendNone Trend = iota
	// TrendNew: hot in the final step and never before.
	TrendNew
	// TrendPersistent: hot in at least 90 % of the steps including the
	// final one, without a significant trend of z.
	TrendPersistent
	// TrendIntensifying: as persistent, with z rising significantly
	// (Mann-Kendall, two-sided p ≤ 0.05).
	TrendIntensifying
	// TrendDiminishing: as persistent, with z falling significantly.
	TrendDiminishing
)

// String names the trend as the API writes it.
func (t Trend) String() string {
	return [...]string{"none", "new", "persistent", "intensifying", "diminishing"}[t]
}

// MannKendall tests x (in time order) for a monotonic trend: the statistic S
// = Σ_{i<j} sign(x_j − x_i), its variance n(n−1)(2n+5)/18 (no tie
// correction), the continuity-corrected z-score and its two-sided p-value.
func MannKendall(x []float64) (z, p float64) {
	n := len(x)
	if n < 3 {
		return 0, 1
	}
	var s float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			switch {
			case x[j] > x[i]:
				s++
			case x[j] < x[i]:
				s--
			}
		}
	}
	fn := float64(n)
	sd := math.Sqrt(fn * (fn - 1) * (2*fn + 5) / 18)
	switch {
	case s > 0:
		z = (s - 1) / sd
	case s < 0:
		z = (s + 1) / sd
	}
	return z, TwoSidedP(z)
}

// Emerging classifies one bin from its classes and z-scores per time step,
// oldest first, the final step last.
func Emerging(classes []Class, zs []float64) Trend {
	n := len(classes)
	if n == 0 || classes[n-1] <= 0 {
		return TrendNone
	}
	hot := 0
	for _, c := range classes {
		if c > 0 {
			hot++
		}
	}
	if hot == 1 {
		return TrendNew
	}
	if float64(hot) < 0.9*float64(n) {
		return TrendNone
	}
	z, p := MannKendall(zs)
	switch {
	case p <= 0.05 && z > 0:
		return TrendIntensifying
	case p <= 0.05 && z < 0:
		return TrendDiminishing
	}
	return TrendPersistent
}
