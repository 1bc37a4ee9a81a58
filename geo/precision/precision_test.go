package precision

import (
	"strconv"
	"testing"

	"github.com/paulmach/orb"
)

// A rounded coordinate prints with at most 7 decimals, and rounding is
// idempotent and to the nearest step.
func TestRoundPrintsSevenDecimals(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{
		{120.11032929999999, 120.1103293},
		{120.110329349, 120.1103293},
		{120.11032935, 120.1103294},
		{-79.41559649, -79.4155965},
		{30.0, 30},
	} {
		got := Round(c.in)
		if got != c.want {
			t.Errorf("Round(%v) = %v, want %v", c.in, got, c.want)
		}
		if s := strconv.FormatFloat(got, 'f', -1, 64); len(s) > len(strconv.FormatFloat(c.want, 'f', 7, 64)) {
			t.Errorf("Round(%v) prints as %s", c.in, s)
		}
		if Round(got) != got {
			t.Errorf("Round is not idempotent at %v", got)
		}
	}
	if p := Point(orb.Point{120.11032929999999, 30.00000004}); p != (orb.Point{120.1103293, 30}) {
		t.Errorf("Point: %v", p)
	}
}
