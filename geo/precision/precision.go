// Package precision is the coordinate grid every stored geometry lies on:
// 1e-7° (about 1 cm), the 7 decimals every GeoJSON, OGC and export answer
// writes. Every writer that rounds (grid edits, imports, patrol fixes,
// cases, places, cameras) rounds here, as the database triggers of migration
// 000030 do.
package precision

import (
	"math"

	"github.com/paulmach/orb"
)

// Degrees is the grid's step.
const Degrees = 1e-7

// scale is 1/Degrees. Dividing the rounded integer by it (exact in float64)
// gives the double nearest the 7-decimal value, so 120.1103293 prints as
// such, not as 120.11032929999999.
const scale = 1e7

// Round puts one coordinate on the grid.
func Round(x float64) float64 { return math.Round(x*scale) / scale }

// Point puts p on the grid.
func Point(p orb.Point) orb.Point { return orb.Point{Round(p[0]), Round(p[1])} }
