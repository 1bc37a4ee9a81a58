package tile

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile/mvtdecode"
)

// square returns a lon/lat square ring of side d degrees at (lon, lat),
// counter-clockwise unless cw.
func square(lon, lat, d float64, cw bool) orb.Ring {
	r := orb.Ring{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}
	if cw {
		r.Reverse()
	}
	return r
}

func encodeOne(t *testing.T, layers []*Layer, tl maptile.Tile) mvt.Layers {
	t.Helper()
	data, err := Encode(layers, int(tl.Z), int(tl.X), int(tl.Y), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvtdecode.DecodeStrict(data)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestReplaceRejectsBadFeatures(t *testing.T) {
	tests := []struct {
		name string
		f    Feature
	}{
		{"nil geometry", Feature{ID: 1}},
		{"collection", Feature{ID: 1, Geometry: orb.Collection{orb.Point{1, 1}}}},
		{"empty polygon", Feature{ID: 1, Geometry: orb.Polygon{}}},
		{"one-point line", Feature{ID: 1, Geometry: orb.LineString{{1, 1}}}},
		{"map value", Feature{ID: 1, Geometry: orb.Point{1, 1}, Properties: []Property{{"x", map[string]int{}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := NewLayer(Spec{Name: "x"})
			if err := l.Replace([]Feature{{ID: 9, Geometry: orb.Point{0, 0}}}); err != nil {
				t.Fatal(err)
			}
			if err := l.Replace([]Feature{tt.f}); err == nil {
				t.Fatal("accepted")
			}
			if _, err := l.Update([]Feature{tt.f}, nil); err == nil {
				t.Fatal("Update accepted")
			}
			if _, ok := l.Get(9); !ok || l.Len() != 1 {
				t.Fatal("failed write changed the layer")
			}
		})
	}
}

func TestUpdateTouchedBoundsAndCopyOnWrite(t *testing.T) {
	l := NewLayer(Spec{Name: "grids"})
	a := square(120.15, 30.28, 0.001, false)
	if err := l.Replace([]Feature{{ID: 1, Geometry: orb.Polygon{a}}, {ID: 2, Geometry: orb.Point{120.16, 30.29}}}); err != nil {
		t.Fatal(err)
	}
	before := l.snap.Load()
	moved := square(120.17, 30.30, 0.002, false)
	touched, err := l.Update([]Feature{{ID: 1, Geometry: orb.Polygon{moved}}}, []uint64{2, 77})
	if err != nil {
		t.Fatal(err)
	}
	want := []orb.Bound{orb.Point{120.16, 30.29}.Bound(), a.Bound(), moved.Bound()}
	if len(touched) != len(want) {
		t.Fatalf("touched %v, want %v", touched, want)
	}
	for i := range want {
		if !touched[i].Equal(want[i]) {
			t.Fatalf("touched %v, want %v", touched, want)
		}
	}
	if l.Len() != 1 || l.Version() != 2 {
		t.Fatalf("len %d version %d", l.Len(), l.Version())
	}
	if len(before.byID) != 2 || before.tree.Len() != 2 {
		t.Fatal("old snapshot modified")
	}
	n := 0
	l.snap.Load().tree.Search(a.Bound().Min, a.Bound().Max, func(_, _ [2]float64, e *entry) bool { n++; return true })
	if n != 0 {
		t.Fatal("old shape still indexed")
	}
}

func TestEncodeWhileUpdating(t *testing.T) {
	p := newPartition(30, 2)
	l := p.layer()
	tl := maptile.At(p.bound.Center(), 15)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				data, err := Encode([]*Layer{l}, int(tl.Z), int(tl.X), int(tl.Y), Options{})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := mvtdecode.DecodeStrict(data); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 50 {
		c := p.cells[i%len(p.cells)]
		if _, err := l.Update([]Feature{c}, []uint64{uint64(len(p.cells) - i)}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestEncodeRules(t *testing.T) {
	const lon, lat = 120.15, 30.28
	tl := maptile.At(orb.Point{lon + 0.0005, lat + 0.0005}, 16)
	pixelDeg := 360.0 / math.Pow(2, 16) / 256 // one pixel in degrees of longitude at z16
	grids := NewLayer(Spec{Name: "grids", MinZoom: 12, DetailZoom: 16, SummaryKeys: []string{"code"}})
	hole := square(lon+0.0002, lat+0.0002, 0.0003, false)
	err := grids.Replace([]Feature{
		{ID: 1, Geometry: orb.Polygon{square(lon, lat, 0.001, true), hole}, Properties: []Property{{"code", "A"}, {"n", 3}}},
		{ID: 2, Geometry: orb.Polygon{square(lon+0.0011, lat, 1.2*pixelDeg, false)}, Properties: []Property{{"code", "tiny"}}},
		{ID: 3, Geometry: orb.Polygon{square(lon+0.0013, lat, 0.1*pixelDeg, false)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	lines := NewLayer(Spec{Name: "tracks"})
	pois := NewLayer(Spec{Name: "hotspots", MaxZoom: 15})
	if err := lines.Replace([]Feature{{ID: 5, Geometry: orb.LineString{{lon - 1, lat + 0.0005}, {lon + 1, lat + 0.0005}}, Properties: []Property{{"speed", -2.5}, {"ok", true}, {"n", uint8(7)}, {"f", float32(0.5)}, {"i", -3}}}}); err != nil {
		t.Fatal(err)
	}
	if err := pois.Replace([]Feature{{ID: 6, Geometry: orb.Point{lon + 0.0005, lat + 0.0005}}}); err != nil {
		t.Fatal(err)
	}
	all := []*Layer{grids, lines, pois}

	t.Run("z16 detail", func(t *testing.T) {
		ls := encodeOne(t, all, tl)
		if len(ls) != 2 || ls[0].Name != "grids" || ls[1].Name != "tracks" {
			t.Fatalf("layers %v (hotspots stop at z15)", names(ls))
		}
		byID := features(ls[0])
		if len(byID) != 2 {
			t.Fatalf("grid features %v: want 1 and 2 (3 is far below a pixel)", keys(byID))
		}
		p := byID[1].Geometry.(orb.Polygon)
		if len(p) != 2 {
			t.Fatalf("polygon with %d rings, want exterior and hole", len(p))
		}
		if byID[1].Properties["n"] != 3.0 || byID[1].Properties["code"] != "A" {
			t.Fatalf("properties %v", byID[1].Properties)
		}
		if _, ok := byID[2].Geometry.(orb.Polygon); !ok {
			t.Fatalf("one-pixel grid: %v", byID[2].Geometry)
		}
		tr := ls[1].Features[0]
		want := map[string]any{"speed": -2.5, "ok": true, "n": 7.0, "f": 0.5, "i": -3.0}
		for k, v := range want {
			if tr.Properties[k] != v {
				t.Errorf("property %s = %#v, want %#v", k, tr.Properties[k], v)
			}
		}
		line := tr.Geometry.(orb.LineString)
		if line[0][0] != -64 || line[len(line)-1][0] != 4160 {
			t.Fatalf("line not clipped to the buffer: %v", line)
		}
	})
	t.Run("z15 generalised", func(t *testing.T) {
		ls := encodeOne(t, all, tl.Parent())
		if len(ls) != 3 {
			t.Fatalf("layers %v", names(ls))
		}
		f := features(ls[0])[1]
		if len(f.Properties) != 1 || f.Properties["code"] != "A" {
			t.Fatalf("summary properties %v", f.Properties)
		}
		if len(f.Geometry.(orb.Polygon)) != 1 {
			t.Fatal("hole kept below DetailZoom")
		}
	})
	t.Run("below MinZoom", func(t *testing.T) {
		z11 := maptile.At(orb.Point{lon, lat}, 11)
		ls := encodeOne(t, all, z11)
		if len(ls) != 2 || ls[0].Name != "tracks" {
			t.Fatalf("layers %v: grids start at z12", names(ls))
		}
	})
	t.Run("empty tile", func(t *testing.T) {
		data, err := Encode(all, 16, 0, 0, Options{})
		if err != nil || len(data) != 0 {
			t.Fatalf("%d bytes, %v", len(data), err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := Encode(all, 3, 8, 0, Options{}); !errors.Is(err, ErrTileRange) {
			t.Fatalf("x out of range: %v", err)
		}
		if _, err := Encode([]*Layer{grids, NewLayer(Spec{Name: "grids"})}, 16, int(tl.X), int(tl.Y), Options{}); err == nil {
			t.Fatal("duplicate layer names accepted")
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		a, _ := Encode(all, int(tl.Z), int(tl.X), int(tl.Y), Options{})
		b, _ := Encode(all, int(tl.Z), int(tl.X), int(tl.Y), Options{})
		if string(a) != string(b) {
			t.Fatal("two encodings differ")
		}
	})
}

// TestTinyPolygonFallback uses a sliver (2 px long, 0.02 px wide) whose
// outline collapses on the integer grid: it must still appear.
func TestTinyPolygonFallback(t *testing.T) {
	tl := maptile.New(54000, 26000, 16)
	b := tl.Bound()
	w := (b.Max[0] - b.Min[0]) / 4096 // one unit in degrees
	x0, y0 := b.Min[0]+1000*w, b.Max[1]-1000*w
	sliver := orb.Ring{{x0, y0}, {x0 + 32*w, y0}, {x0 + 32*w, y0 + 0.3*w}, {x0, y0}}
	l := NewLayer(Spec{Name: "grids"})
	if err := l.Replace([]Feature{{ID: 1, Geometry: orb.Polygon{sliver}}}); err != nil {
		t.Fatal(err)
	}
	ls := encodeOne(t, []*Layer{l}, tl)
	if len(ls) != 1 || len(ls[0].Features) != 1 {
		t.Fatal("one-pixel sliver dropped")
	}
	got := ls[0].Features[0].Geometry.Bound()
	if got.Max[0]-got.Min[0] < 31 || got.Max[0]-got.Min[0] > 33 || got.Max[1]-got.Min[1] < 1 {
		t.Fatalf("fallback ring bound %v", got)
	}
}

func names(ls mvt.Layers) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Name)
	}
	return out
}

type decodedFeature struct {
	Geometry   orb.Geometry
	Properties map[string]any
}

func features(l *mvt.Layer) map[uint64]decodedFeature {
	out := map[uint64]decodedFeature{}
	for _, f := range l.Features {
		out[uint64(f.ID.(float64))] = decodedFeature{f.Geometry, f.Properties}
	}
	return out
}

func keys(m map[uint64]decodedFeature) []uint64 {
	var out []uint64
	for k := range m {
		out = append(out, k)
	}
	return out
}
