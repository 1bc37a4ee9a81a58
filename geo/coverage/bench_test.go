package coverage

import (
	"testing"

	"github.com/paulmach/orb"
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

// BenchmarkRevalidate edits one grid among 10,000 and revalidates it, next
// to a full validation of the edited set.
func BenchmarkRevalidate(b *testing.B) {
	const n = 100
	ms := mesh(n, n, 7, false)
	c := 50*n + 50
	edited := nudge(ms[c], 3, 0, 0.0002)
	v := NewValidator(ms, nil, Options{})
	b.Run("incremental", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			g := ms[c]
			if i%2 == 0 {
				g = edited
			}
			v.Update(c, g)
			v.Revalidate([]int{c})
		}
	})
	b.Run("full", func(b *testing.B) {
		all := append([]orb.Geometry(nil), ms...)
		all[c] = edited
		for b.Loop() {
			Validate(all, nil, Options{})
		}
	})
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
