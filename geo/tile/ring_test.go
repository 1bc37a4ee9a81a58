package tile

import (
	"fmt"
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func pts(xy ...int64) []ipt {
	out := make([]ipt, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		out = append(out, ipt{xy[i], xy[i+1]})
	}
	return out
}

func TestSnapPoints(t *testing.T) {
	tests := []struct {
		name string
		in   []orb.Point
		ring bool
		want []ipt
	}{
		{"rounds half away from zero", []orb.Point{{0.5, -0.5}, {1.49, 2.51}}, false, pts(1, -1, 1, 3)},
		{"drops repeats", []orb.Point{{0, 0}, {0.2, 0.1}, {1, 1}, {1.3, 0.9}}, false, pts(0, 0, 1, 1)},
		{"drops ring closure", []orb.Point{{0, 0}, {4, 0}, {4, 4}, {0.1, 0.2}}, true, pts(0, 0, 4, 0, 4, 4)},
		{"keeps line end equal to start", []orb.Point{{0, 0}, {4, 0}, {0, 0}}, false, pts(0, 0, 4, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := snapPoints(nil, tt.in, tt.ring); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCleanRing(t *testing.T) {
	tests := []struct {
		name string
		in   []ipt
		want []ipt
	}{
		{"square unchanged", pts(0, 0, 4, 0, 4, 4, 0, 4), pts(0, 0, 4, 0, 4, 4, 0, 4)},
		{"collinear middle", pts(0, 0, 2, 0, 4, 0, 4, 4, 0, 4), pts(0, 0, 4, 0, 4, 4, 0, 4)},
		{"spike", pts(0, 0, 4, 0, 8, 0, 4, 0, 4, 4, 0, 4), pts(0, 0, 4, 0, 4, 4, 0, 4)},
		{"wrap-around collinear start", pts(2, 0, 4, 0, 4, 4, 0, 4, 0, 0), pts(4, 0, 4, 4, 0, 4, 0, 0)},
		{"repeated points", pts(0, 0, 0, 0, 4, 0, 4, 4, 4, 4, 0, 4), pts(0, 0, 4, 0, 4, 4, 0, 4)},
		{"flat ring collapses", pts(0, 0, 2, 0, 4, 0, 2, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cleanRing(append([]ipt(nil), tt.in...))
			if len(got) < 3 && len(tt.want) == 0 {
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// star returns an n-gon on a circle, optionally with two vertices swapped
// to make it self-intersecting; n > 16 exercises the sweep.
func star(n int, swap bool) []ipt {
	out := make([]ipt, n)
	for i := range out {
		a := 2 * math.Pi * float64(i) / float64(n)
		out[i] = ipt{int64(1000 * math.Cos(a)), int64(1000 * math.Sin(a))}
	}
	if swap {
		out[3], out[n/2] = out[n/2], out[3]
	}
	return out
}

func TestValidRing(t *testing.T) {
	tests := []struct {
		name string
		r    []ipt
		want bool
	}{
		{"square", pts(0, 0, 4, 0, 4, 4, 0, 4), true},
		{"triangle", pts(0, 0, 4, 0, 0, 4), true},
		{"two points", pts(0, 0, 4, 0), false},
		{"bow tie", pts(0, 0, 4, 4, 4, 0, 0, 4), false},
		{"touching vertex (figure eight)", pts(0, 0, 2, 2, 4, 0, 4, 4, 2, 2, 0, 4), false},
		{"vertex on far edge", pts(0, 0, 4, 0, 4, 4, 2, 0, 0, 4), false},
		{"collinear overlap", pts(0, 0, 6, 0, 6, 2, 4, 2, 4, 0, 2, 0, 2, 4, 0, 4), false},
		{"concave ok", pts(0, 0, 4, 0, 4, 4, 2, 1, 0, 4), true},
		{"64-gon", star(64, false), true},
		{"64-gon crossed (sweep)", star(64, true), false},
		{"12-gon crossed (brute force)", star(12, true), false},
		{"pentagram (convex turns, winds twice)", pts(0, 100, 59, -81, -95, 31, 95, 31, -59, -81), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := validRing(tt.r); got != tt.want {
				t.Fatalf("validRing = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSelfIntersectsSweepMatchesBruteForce checks the sweep against the
// quadratic loop on random rings of 17..60 vertices.
func TestSelfIntersectsSweepMatchesBruteForce(t *testing.T) {
	for seed := range 300 {
		n := 17 + seed%44
		r := make([]ipt, n)
		s := uint64(seed*7919 + 1)
		for i := range r {
			s = s*6364136223846793005 + 1442695040888963407
			r[i] = ipt{int64(s>>40) % 200, int64(s>>20) % 200}
		}
		r = cleanRing(r)
		if len(r) < 4 {
			continue
		}
		brute := false
		m := len(r)
		for i := 0; i < m && !brute; i++ {
			for j := i + 1; j < m; j++ {
				if j == i+1 || (i == 0 && j == m-1) {
					continue
				}
				if segmentsMeet(r[i], r[(i+1)%m], r[j], r[(j+1)%m]) {
					brute = true
					break
				}
			}
		}
		if got := selfIntersects(r); got != brute {
			t.Fatalf("seed %d: sweep %v, brute force %v", seed, got, brute)
		}
	}
}

func TestConvex(t *testing.T) {
	tests := []struct {
		name string
		r    []ipt
		want bool
	}{
		{"square", pts(0, 0, 4, 0, 4, 4, 0, 4), true},
		{"square reversed", pts(0, 4, 4, 4, 4, 0, 0, 0), true},
		{"64-gon", star(64, false), true},
		{"concave", pts(0, 0, 4, 0, 4, 4, 2, 1, 0, 4), false},
		{"pentagram", pts(0, 100, 59, -81, -95, 31, 95, 31, -59, -81), false},
		{"bow tie", pts(0, 0, 4, 4, 4, 0, 0, 4), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := convex(tt.r); got != tt.want {
				t.Fatalf("convex = %v, want %v", got, tt.want)
			}
			if tt.want && selfIntersects(tt.r) {
				t.Fatal("convex ring reported self-intersecting")
			}
		})
	}
}
