package tile

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

func TestTilesCoveringMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name string
		opts Options
		buf  float64
	}{
		{"default buffer", Options{}, 64.0 / 4096},
		{"no buffer", Options{Buffer: -1}, 0},
		{"big buffer", Options{Buffer: 512}, 512.0 / 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				lon, lat := 120+rng.Float64()*0.3, 30+rng.Float64()*0.3
				b := orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon + rng.Float64()*0.01, lat + rng.Float64()*0.01}}
				z := 8 + rng.IntN(9)
				got := map[maptile.Tile]bool{}
				for tl := range TilesCovering(b, z, z, tt.opts) {
					if got[tl] {
						t.Fatalf("tile %v yielded twice", tl)
					}
					got[tl] = true
				}
				// every tile within 2 of the bound's corners
				c0, c1 := maptile.At(orb.Point{b.Min[0], b.Max[1]}, maptile.Zoom(z)), maptile.At(orb.Point{b.Max[0], b.Min[1]}, maptile.Zoom(z))
				for x := int(c0.X) - 2; x <= int(c1.X)+2; x++ {
					for y := int(c0.Y) - 2; y <= int(c1.Y)+2; y++ {
						tl := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
						if want := tl.Bound(tt.buf).Intersects(b); want != got[tl] {
							t.Fatalf("bound %v tile %v: covered %v, want %v", b, tl, got[tl], want)
						}
					}
				}
			}
		})
	}
}

func TestTilesCoveringZoomsAndEarlyStop(t *testing.T) {
	b := orb.Bound{Min: orb.Point{120.15, 30.28}, Max: orb.Point{120.16, 30.29}}
	zooms := map[maptile.Zoom]int{}
	for tl := range TilesCovering(b, 10, 16, Options{}) {
		zooms[tl.Z]++
	}
	for z := maptile.Zoom(10); z <= 16; z++ {
		if zooms[z] == 0 {
			t.Fatalf("no tiles at z%d: %v", z, zooms)
		}
	}
	if len(zooms) != 7 {
		t.Fatalf("zooms %v", zooms)
	}
	n := 0
	for range TilesCovering(b, 10, 16, Options{}) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatal("iteration did not stop")
	}
}

// TestTilesCoveringMatchesEncode checks that the covered tiles are exactly
// those where Encode writes a point feature, for points near tile corners.
func TestTilesCoveringMatchesEncode(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	const z = 14
	for range 100 {
		corner := maptile.New(13650+uint32(rng.IntN(10)), 6740+uint32(rng.IntN(10)), z).Bound().Min
		p := orb.Point{corner[0] + (rng.Float64()-0.5)*0.0006, corner[1] + (rng.Float64()-0.5)*0.0006}
		l := NewLayer(Spec{Name: "hotspots"})
		if err := l.Replace([]Feature{{ID: 1, Geometry: p}}); err != nil {
			t.Fatal(err)
		}
		covered := map[maptile.Tile]bool{}
		for tl := range TilesCovering(p.Bound(), z, z, Options{}) {
			covered[tl] = true
		}
		center := maptile.At(p, z)
		for dx := -2; dx <= 2; dx++ {
			for dy := -2; dy <= 2; dy++ {
				tl := maptile.New(uint32(int(center.X)+dx), uint32(int(center.Y)+dy), z)
				data, err := Encode([]*Layer{l}, z, int(tl.X), int(tl.Y), Options{})
				if err != nil {
					t.Fatal(err)
				}
				if has := len(data) > 0; has != covered[tl] {
					t.Fatalf("point %v tile %v: encoded %v, covered %v", p, tl, has, covered[tl])
				}
			}
		}
	}
}
