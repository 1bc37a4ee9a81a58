package tile

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"wangge/geo/tile/mvtdecode"
)

// partitionTiles lists tiles covering the partition at z: all of them up to
// 64, else an evenly spread sample of 64.
func partitionTiles(p *partition, z int) []maptile.Tile {
	var all []maptile.Tile
	for t := range TilesCovering(p.bound, z, z, Options{Buffer: -1}) {
		all = append(all, t)
	}
	if len(all) <= 64 {
		return all
	}
	out := make([]maptile.Tile, 0, 64)
	for k := range 64 {
		out = append(out, all[k*len(all)/64])
	}
	return out
}

// tileCoords projects lon/lat to tile units of t with orb's maptile, a
// projection independent of the encoder's own.
func tileCoords(t maptile.Tile, ps []orb.Point) []orb.Point {
	out := make([]orb.Point, len(ps))
	for i, p := range ps {
		f := maptile.Fraction(p, t.Z)
		out[i] = orb.Point{(f[0] - float64(t.X)) * 4096, (f[1] - float64(t.Y)) * 4096}
	}
	return out
}

func TestEncodePartitionSelfCheck(t *testing.T) {
	p := newPartition(100, 1)
	layer := p.layer()
	for z := 10; z <= 16; z++ {
		var sizes, feats, maxSize int
		tiles := partitionTiles(p, z)
		for _, tl := range tiles {
			data, err := Encode([]*Layer{layer}, int(tl.Z), int(tl.X), int(tl.Y), Options{})
			if err != nil {
				t.Fatal(err)
			}
			sizes += len(data)
			maxSize = max(maxSize, len(data))
			layers, err := mvtdecode.DecodeStrict(data)
			if err != nil {
				t.Fatalf("z%d %d/%d: %v", z, tl.X, tl.Y, err)
			}
			got := map[uint64]orb.Geometry{}
			for _, l := range layers {
				if l.Version != 2 || l.Extent != 4096 || l.Name != "grids" {
					t.Fatalf("layer %q version %d extent %d", l.Name, l.Version, l.Extent)
				}
				for _, f := range l.Features {
					id := uint64(f.ID.(float64))
					if _, dup := got[id]; dup {
						t.Fatalf("duplicate feature id %d", id)
					}
					got[id] = f.Geometry
					checkProperties(t, z, f.Properties)
					checkRings(t, f.Geometry)
				}
			}
			feats += len(got)
			checkCells(t, p, tl, got)
		}
		t.Logf("z%d: %d tiles, %.1f features/tile, mean %d B, max %d B", z, len(tiles), float64(feats)/float64(len(tiles)), sizes/len(tiles), maxSize)
		if maxSize > 500<<10 {
			t.Errorf("z%d: tile of %d bytes exceeds 500 KB", z, maxSize)
		}
	}
}

func checkProperties(t *testing.T, z int, props map[string]any) {
	t.Helper()
	want := 5
	if z < gridSpec.DetailZoom {
		want = len(gridSpec.SummaryKeys)
	}
	if len(props) != want {
		t.Fatalf("z%d: properties %v, want %d keys", z, props, want)
	}
}

// checkRings re-checks decoded polygons with a brute-force O(n²) test written
// apart from the encoder's own.
func checkRings(t *testing.T, g orb.Geometry) {
	t.Helper()
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		t.Fatalf("geometry %T, want polygon", g)
	}
	for _, poly := range polys {
		for k, r := range poly {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				t.Fatalf("ring %v not closed or too short", r)
			}
			a := 0.0
			for i := 0; i+1 < len(r); i++ {
				a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
			}
			if (k == 0 && a <= 0) || (k > 0 && a >= 0) {
				t.Fatalf("ring %d area %v has the wrong sign", k, a)
			}
			n := len(r) - 1
			for i := range n {
				for j := i + 1; j < n; j++ {
					if j == i+1 || (i == 0 && j == n-1) {
						continue
					}
					if naiveMeet(r[i], r[i+1], r[j], r[j+1]) {
						t.Fatalf("ring self-intersects: edges %d and %d of %v", i, j, r)
					}
				}
			}
		}
	}
}

func naiveMeet(a, b, c, d orb.Point) bool {
	o := func(p, q, r orb.Point) float64 { return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0]) }
	on := func(p, q, r orb.Point) bool {
		return math.Min(p[0], q[0]) <= r[0] && r[0] <= math.Max(p[0], q[0]) && math.Min(p[1], q[1]) <= r[1] && r[1] <= math.Max(p[1], q[1])
	}
	d1, d2, d3, d4 := o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return (d1 == 0 && on(c, d, a)) || (d2 == 0 && on(c, d, b)) || (d3 == 0 && on(a, b, c)) || (d4 == 0 && on(a, b, d))
}

// checkCells requires every cell of at least one pixel that really overlaps
// the tile to be present, and every present cell to lie within a pixel of
// its source outline (clipped to the buffered tile), both ways.
func checkCells(t *testing.T, p *partition, tl maptile.Tile, got map[uint64]orb.Geometry) {
	t.Helper()
	const pixel = 16.0
	tileBox := orb.Bound{Max: orb.Point{4096, 4096}}
	bufBox := orb.Bound{Min: orb.Point{-64, -64}, Max: orb.Point{4160, 4160}}
	for _, c := range p.cells {
		src := orb.Ring(tileCoords(tl, c.Geometry.(orb.MultiPolygon)[0][0]))
		sb := src.Bound()
		if !sb.Intersects(bufBox) {
			if _, ok := got[c.ID]; ok {
				t.Fatalf("z%d: cell %d present though outside the buffered tile", tl.Z, c.ID)
			}
			continue
		}
		g, present := got[c.ID]
		inTile := clip.Ring(tileBox, append(orb.Ring(nil), src...))
		big := math.Max(sb.Max[0]-sb.Min[0], sb.Max[1]-sb.Min[1]) >= pixel
		if big && inTile != nil && math.Abs(planar.Area(inTile)) > 1e-6 && !present {
			t.Fatalf("z%d %d/%d: cell %d (%.1f px) overlaps the tile but is missing", tl.Z, tl.X, tl.Y, c.ID, (sb.Max[0]-sb.Min[0])/pixel)
		}
		if !present {
			continue
		}
		clipped := clip.Ring(bufBox, append(orb.Ring(nil), src...))
		if clipped == nil {
			t.Fatalf("cell %d present but clips away", c.ID)
		}
		var outline []orb.Point
		for _, poly := range asPolygons(g) {
			for _, r := range poly {
				outline = append(outline, r...)
			}
		}
		if d := hausdorff(outline, asPolygons(g), src, clipped, tileBox); d > pixel {
			t.Fatalf("z%d %d/%d: cell %d decoded %.1f units from its source", tl.Z, tl.X, tl.Y, c.ID, d)
		}
	}
}

func asPolygons(g orb.Geometry) orb.MultiPolygon {
	if p, ok := g.(orb.Polygon); ok {
		return orb.MultiPolygon{p}
	}
	return g.(orb.MultiPolygon)
}

// hausdorff is the larger of the distances from decoded vertices to the
// source ring and from source vertices inside the visible tile to the decoded
// rings. (In the buffer, sub-pixel slivers that clipping joins to the rest by
// zero-width spikes along the buffer edge may be simplified away.)
// Decoded vertices may follow the clipped or, where clipping left a
// self-touching ring, the unclipped source.
func hausdorff(decoded []orb.Point, polys orb.MultiPolygon, full, src orb.Ring, visible orb.Bound) float64 {
	toRing := func(p orb.Point, r orb.Ring) float64 {
		d := math.Inf(1)
		for i := 0; i+1 < len(r); i++ {
			d = math.Min(d, planar.DistanceFromSegment(r[i], r[i+1], p))
		}
		return d
	}
	worst := 0.0
	for _, p := range decoded {
		worst = math.Max(worst, math.Min(toRing(p, src), toRing(p, full)))
	}
	for _, p := range src {
		if !visible.Contains(p) {
			continue
		}
		d := math.Inf(1)
		for _, poly := range polys {
			d = math.Min(d, toRing(p, poly[0]))
		}
		worst = math.Max(worst, d)
	}
	return worst
}

var _ = mvt.Layers(nil)

// TestEncodeZ10AllCells keeps every one of the 10,000 sub-pixel cells at z10
// (MinSize far below a pixel) and checks the tile stays under 500 KB.
func TestEncodeZ10AllCells(t *testing.T) {
	p := newPartition(100, 1)
	spec := gridSpec
	spec.MinSize = 0.01
	l := NewLayer(spec)
	if err := l.Replace(p.cells); err != nil {
		t.Fatal(err)
	}
	for _, tl := range partitionTiles(p, 10) {
		data, err := Encode([]*Layer{l}, int(tl.Z), int(tl.X), int(tl.Y), Options{})
		if err != nil {
			t.Fatal(err)
		}
		ls, err := mvtdecode.DecodeStrict(data)
		if err != nil {
			t.Fatal(err)
		}
		n := len(ls[0].Features)
		t.Logf("z10 %d/%d with all cells: %d features, %d B", tl.X, tl.Y, n, len(data))
		if n < 9000 {
			t.Errorf("only %d of 10000 cells", n)
		}
		if len(data) > 500<<10 {
			t.Errorf("%d bytes exceeds 500 KB", len(data))
		}
	}
}
