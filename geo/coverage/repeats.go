package coverage

import (
	"fmt"

	"github.com/paulmach/orb"
)

// RepeatedVertex is a warning, not a defect: repeated consecutive vertices
// are valid in OGC Simple Features and PostGIS's ST_IsValid (real boundary
// data is full of them), so they never make a geometry invalid; importers
// and editors drop them (DropRepeats) and say so.
const RepeatedVertex Kind = "repeated_vertex"

// Repeats lists one RepeatedVertex warning per ring of g that repeats a
// vertex, located at its first repeat, with how many it repeats.
func Repeats(g orb.Geometry) []Defect {
	var out []Defect
	for pi, p := range polygonsOf(g) {
		for ri, r := range p {
			n, at := 0, orb.Point{}
			for i := 1; i < len(r); i++ {
				if r[i] == r[i-1] {
					if n == 0 {
						at = r[i]
					}
					n++
				}
			}
			if n == 0 {
				continue
			}
			what := "shell"
			if ri > 0 {
				what = fmt.Sprintf("hole %d", ri)
			}
			out = append(out, Defect{Kind: RepeatedVertex, Geometry: at, Message: fmt.Sprintf(
				"polygon %d %s: %d repeated consecutive vertices (valid in OGC Simple Features and PostGIS; dropped)", pi, what, n)})
		}
	}
	return out
}

// DropRepeats removes repeated consecutive vertices from mp and counts them.
func DropRepeats(mp orb.MultiPolygon) (orb.MultiPolygon, int) {
	n := 0
	out := make(orb.MultiPolygon, len(mp))
	for i, p := range mp {
		out[i] = make(orb.Polygon, len(p))
		for j, r := range p {
			nr := make(orb.Ring, 0, len(r))
			for k, pt := range r {
				if k > 0 && pt == r[k-1] {
					n++
					continue
				}
				nr = append(nr, pt)
			}
			out[i][j] = nr
		}
	}
	return out, n
}
