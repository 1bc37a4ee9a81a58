package coverage

import (
	"testing"
)

// BenchmarkValidate runs a full validation of clean meshes (32 vertices per
// grid) and, as the obvious alternative for the gap check, unions all grids
// with the overlay library (UnionAll).
func BenchmarkValidate(b *testing.B) {
	for _, n := range []int{32, 100} { // 1,024 and 10,000 grids
		ms := mesh(n, n, 7, false)
		parent := meshParent(ms, n, n)
		b.Run(sizeName(len(ms))+"/no-parent", func(b *testing.B) {
			for b.Loop() {
				if r := Validate(ms, nil, Options{}); len(r.Defects) != 0 {
					b.Fatal("mesh not clean")
				}
			}
		})
		b.Run(sizeName(len(ms))+"/parent", func(b *testing.B) {
			for b.Loop() {
				Validate(ms, parent, Options{GapWidth: 1})
			}
		})
		if n <= 32 {
			b.Run(sizeName(len(ms))+"/UnionAll-alternative", func(b *testing.B) {
				for b.Loop() {
					if _, err := unionAll(ms); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func sizeName(n int) string {
	switch {
	case n >= 10000:
		return "10k"
	case n >= 1000:
		return "1k"
	}
	return "small"
}
