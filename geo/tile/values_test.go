package tile

import (
	"fmt"
	"testing"
)

// TestValueTable checks de-duplication against a map, with real hashes and
// with every value forced onto one hash (all collisions), across resets,
// growth and a wrapped generation counter.
func TestValueTable(t *testing.T) {
	tests := []struct {
		name string
		hash func(valueKey) uint64
		gen  uint32 // starting generation
	}{
		{"hashValue", hashValue, 0},
		{"all collide", func(valueKey) uint64 { return 42 }, 0},
		{"generation wraps", hashValue, ^uint32(0) - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vt valueTable
			vt.gen = tt.gen
			for round, n := range []int{3, 700, 5, 2000, 1} {
				vt.reset()
				var vals []valueKey
				want := map[valueKey]uint32{}
				for i := range 3 * n {
					var k valueKey
					switch i % 3 {
					case 0:
						k = valueKey{kind: 1, s: fmt.Sprintf("v%d", i%n)}
					case 1:
						k = signedKey(int64(i%n - n/2))
					default:
						k = valueKey{kind: 7, u: uint64(i % 2)}
					}
					got := vt.index(tt.hash(k), k, &vals)
					if w, ok := want[k]; ok && got != w {
						t.Fatalf("round %d: %v got index %d, first given %d", round, k, got, w)
					} else if !ok {
						if got != uint32(len(want)) {
							t.Fatalf("round %d: new %v got index %d, want %d", round, k, got, len(want))
						}
						want[k] = got
					}
				}
				if len(vals) != len(want) {
					t.Fatalf("round %d: %d values listed, %d distinct", round, len(vals), len(want))
				}
				for k, i := range want {
					if vals[i] != k {
						t.Fatalf("round %d: vals[%d] = %v, want %v", round, i, vals[i], k)
					}
				}
			}
		})
	}
}
