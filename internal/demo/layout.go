package demo

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Demo district centre: west Hangzhou, WGS-84.
const (
	centreLon = 120.12
	centreLat = 30.27
	// Area per grid: an urban grid of 200–500 households covers about 0.07 km².
	gridAreaKm2 = 0.07
	// Grids per community and communities per street, as in Chinese practice.
	gridsPerCommunity    = 12
	communitiesPerStreet = 8
)

// metres→degrees near the centre.
func kmToLon(km float64) float64 { return km / (111.32 * math.Cos(centreLat*math.Pi/180)) }
func kmToLat(km float64) float64 { return km / 110.57 }

// layout is the plan of a district before PostGIS turns it into polygons.
type layout struct {
	outline   orb.Polygon
	seeds     []orb.Point
	community []int // per seed
	street    []int // per seed
	spacingKm float64
}

// planLayout places about grids seed points on a jittered hexagonal lattice
// inside an irregular outline (so grids come out of similar size, hence of
// similar household counts), then groups them into communities and streets
// with k-means so every community is compact.
func planLayout(rng *rand.Rand, grids int) layout {
	area := float64(grids) * gridAreaKm2
	radius := math.Sqrt(area / math.Pi)
	outline := blob(rng, radius)
	// Hexagonal spacing for the wanted density, corrected for the outline's true area.
	trueArea := planar.Area(outline) / (kmToLon(1) * kmToLat(1))
	spacing := math.Sqrt(trueArea / float64(grids) * 2 / math.Sqrt(3))
	var seeds []orb.Point
	rowH := spacing * math.Sqrt(3) / 2
	b := outline.Bound()
	for row := 0; ; row++ {
		y := b.Min[1] + kmToLat(rowH*(float64(row)+0.5))
		if y > b.Max[1] {
			break
		}
		off := 0.0
		if row%2 == 1 {
			off = spacing / 2
		}
		for col := 0; ; col++ {
			x := b.Min[0] + kmToLon(off+spacing*float64(col))
			if x > b.Max[0] {
				break
			}
			p := orb.Point{
				x + kmToLon(spacing*0.3*(rng.Float64()-0.5)),
				y + kmToLat(spacing*0.3*(rng.Float64()-0.5)),
			}
			if planar.PolygonContains(outline, p) {
				seeds = append(seeds, p)
			}
		}
	}
	nComm := max(1, int(math.Round(float64(len(seeds))/gridsPerCommunity)))
	comm := kmeans(rng, seeds, nComm)
	centres := centroids(seeds, comm, nComm)
	nStreet := max(1, int(math.Round(float64(nComm)/communitiesPerStreet)))
	streetOfComm := kmeans(rng, centres, nStreet)
	street := make([]int, len(seeds))
	for i := range seeds {
		street[i] = streetOfComm[comm[i]]
	}
	return layout{outline: outline, seeds: seeds, community: comm, street: street, spacingKm: spacing}
}

// blob is a smooth irregular polygon of about the given radius (km).
func blob(rng *rand.Rand, radiusKm float64) orb.Polygon {
	const n = 48
	var phase [3]float64
	for i := range phase {
		phase[i] = rng.Float64() * 2 * math.Pi
	}
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * float64(i) / n
		r := radiusKm * (1 + 0.12*math.Sin(2*a+phase[0]) + 0.08*math.Sin(3*a+phase[1]) + 0.05*math.Sin(5*a+phase[2]))
		ring = append(ring, orb.Point{centreLon + kmToLon(r*math.Cos(a)), centreLat + kmToLat(r*math.Sin(a))})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

// kmeans groups pts into k clusters (Lloyd's algorithm, seeded start) and
// returns each point's cluster, renumbered so clusters are in point order.
func kmeans(rng *rand.Rand, pts []orb.Point, k int) []int {
	k = min(k, len(pts))
	centre := make([]orb.Point, k)
	for i, j := range rng.Perm(len(pts))[:k] {
		centre[i] = pts[j]
	}
	assign := make([]int, len(pts))
	for iter := 0; iter < 30; iter++ {
		changed := false
		for i, p := range pts {
			best, bestD := 0, math.Inf(1)
			for c, q := range centre {
				if d := planar.DistanceSquared(p, q); d < bestD {
					best, bestD = c, d
				}
			}
			if assign[i] != best {
				assign[i] = best
				changed = true
			}
		}
		copy(centre, centroids(pts, assign, k))
		if !changed && iter > 0 {
			break
		}
	}
	// Renumber by first appearance so the result does not depend on map order.
	order := map[int]int{}
	for i := range assign {
		if _, ok := order[assign[i]]; !ok {
			order[assign[i]] = len(order)
		}
		assign[i] = order[assign[i]]
	}
	return assign
}

func centroids(pts []orb.Point, assign []int, k int) []orb.Point {
	sum := make([]orb.Point, k)
	n := make([]int, k)
	for i, p := range pts {
		c := assign[i]
		sum[c][0] += p[0]
		sum[c][1] += p[1]
		n[c]++
	}
	for c := range sum {
		if n[c] > 0 {
			sum[c][0] /= float64(n[c])
			sum[c][1] /= float64(n[c])
		}
	}
	return sum
}

// pickKinds chooses which grids are dedicated (专属) grids: for every 60
// grids one school grid and one enterprise grid, never two in one community.
func pickKinds(rng *rand.Rand, l layout) map[int]string {
	kinds := map[int]string{}
	want := max(1, len(l.seeds)/60)
	used := map[int]bool{}
	idx := rng.Perm(len(l.seeds))
	for _, kind := range []string{"school", "enterprise"} {
		n := 0
		for _, i := range idx {
			if n == want {
				break
			}
			if kinds[i] != "" || used[l.community[i]] {
				continue
			}
			kinds[i] = kind
			used[l.community[i]] = true
			n++
		}
	}
	return kinds
}
