package tile

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

var benchData = sync.OnceValue(func() *partition { return newPartition(100, 1) })

// benchTiles returns reproducible random tiles over the partition at z.
func benchTiles(z int) []maptile.Tile {
	p := benchData()
	var all []maptile.Tile
	for t := range TilesCovering(p.bound, z, z, Options{Buffer: -1}) {
		all = append(all, t)
	}
	rng := rand.New(rand.NewPCG(uint64(z), 7))
	out := make([]maptile.Tile, 256)
	for i := range out {
		out[i] = all[rng.IntN(len(all))]
	}
	return out
}

func benchEncode(b *testing.B, z int) {
	layer := benchData().layer()
	tiles := benchTiles(z)
	layers := []*Layer{layer}
	b.ReportAllocs()
	b.ResetTimer()
	bytes := 0
	for i := 0; b.Loop(); i++ {
		t := tiles[i%len(tiles)]
		data, err := Encode(layers, int(t.Z), int(t.X), int(t.Y), Options{})
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(data)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
	b.ReportMetric(float64(bytes)/float64(b.N), "B/tile")
}

// orbPipeline is orb's documented pipeline with a linear scan instead of the
// R-tree: the obvious alternative to Encode.
func orbPipeline(cells []Feature, t maptile.Tile) ([]byte, error) {
	fc := geojson.NewFeatureCollection()
	bound := t.Bound(64.0 / 4096)
	for _, c := range cells {
		if !c.Geometry.Bound().Intersects(bound) {
			continue
		}
		f := geojson.NewFeature(orb.Clone(c.Geometry))
		f.ID = c.ID
		for _, p := range c.Properties {
			f.Properties[p.Key] = p.Value
		}
		fc.Append(f)
	}
	layers := mvt.NewLayers(map[string]*geojson.FeatureCollection{"grids": fc})
	layers.ProjectToTile(t)
	layers.Clip(mvt.MapboxGLDefaultExtentBound)
	layers.Simplify(simplify.DouglasPeucker(8))
	layers.RemoveEmpty(1, 1)
	return mvt.Marshal(layers)
}

func benchOrb(b *testing.B, z int) {
	cells := benchData().cells
	tiles := benchTiles(z)
	b.ReportAllocs()
	b.ResetTimer()
	bytes := 0
	for i := 0; b.Loop(); i++ {
		data, err := orbPipeline(cells, tiles[i%len(tiles)])
		if err != nil {
			b.Fatal(err)
		}
		bytes += len(data)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
	b.ReportMetric(float64(bytes)/float64(b.N), "B/tile")
}

// BenchmarkEncodeZ14 renders random z14 tiles of the 10,000-cell partition.
func BenchmarkEncodeZ14(b *testing.B) { benchEncode(b, 14) }

// BenchmarkEncodeZ14Parallel is BenchmarkEncodeZ14 on all cores.
func BenchmarkEncodeZ14Parallel(b *testing.B) {
	layers := []*Layer{benchData().layer()}
	tiles := benchTiles(14)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			t := tiles[i%len(tiles)]
			i++
			if _, err := Encode(layers, int(t.Z), int(t.X), int(t.Y), Options{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tiles/s")
}

// BenchmarkEncodeZoom compares Encode with orb's plain pipeline (linear scan,
// ProjectToTile, Clip, Simplify, Marshal) per zoom.
func BenchmarkEncodeZoom(b *testing.B) {
	for z := 10; z <= 16; z++ {
		b.Run(fmt.Sprintf("z%d/rtree", z), func(b *testing.B) { benchEncode(b, z) })
		b.Run(fmt.Sprintf("z%d/orb-linear", z), func(b *testing.B) { benchOrb(b, z) })
	}
}
