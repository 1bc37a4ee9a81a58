package rastershift_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/internal/rastershift"
)

// coded is a source tile whose every pixel says where it is: red the column,
// green the row, blue the tile's x and y modulo 16.
func coded(tx, ty int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 256, 256))
	for py := 0; py < 256; py++ {
		for px := 0; px < 256; px++ {
			img.Set(px, py, color.RGBA{uint8(px), uint8(py), uint8(tx%16*16 + ty%16), 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func source(t *testing.T, handler func(w http.ResponseWriter, z, x, y int) bool) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		var z, x, y int
		if _, err := fmt.Sscanf(strings.TrimSuffix(r.URL.Path, ".png"), "/%d/%d/%d", &z, &x, &y); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if !handler(w, z, x, y) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(coded(x, y))
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func tileOf(p orb.Point, z int) (int, int, float64, float64) {
	n := math.Exp2(float64(z))
	lat := p[1] * math.Pi / 180
	gx := (p[0] + 180) / 360 * n * 256
	gy := (1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n * 256
	return int(gx / 256), int(gy / 256), gx, gy
}

// TestShiftedTileShowsTheGCJPosition: at a WGS-84 point, the served tile
// shows the source's pixel at that point's GCJ-02 position (within a pixel:
// the shift is taken at the tile's centre and rounded to whole pixels).
func TestShiftedTileShowsTheGCJPosition(t *testing.T) {
	srv, hits := source(t, func(http.ResponseWriter, int, int, int) bool { return false })
	s := rastershift.New(srv.URL+"/{z}/{x}/{y}.png", srv.Client(), 1<<20)
	ctx := context.Background()
	for _, c := range []struct {
		p orb.Point
		z int
	}{{orb.Point{120.1551, 30.2741}, 16}, {orb.Point{116.3913, 39.9075}, 18}, {orb.Point{113.2644, 23.1291}, 12}, {orb.Point{2.35, 48.85}, 15}} {
		tx, ty, wx, wy := tileOf(c.p, c.z)
		e, err := s.Tile(ctx, c.z, tx, ty)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(e.Data))
		if err != nil {
			t.Fatal(err)
		}
		_, _, gx, gy := tileOf(crs.WGS84ToGCJ02(c.p), c.z)
		if math.Hypot(gx-wx, gy-wy) < 1 && crs.InChina(c.p) {
			t.Fatalf("%v at z%d: no shift to test", c.p, c.z)
		}
		px, py := int(wx)-tx*256, int(wy)-ty*256
		r, g, b, _ := img.At(px, py).RGBA()
		wantTX, wantTY := int(gx)/256, int(gy)/256
		if b>>8 != uint32(wantTX%16*16+wantTY%16) || math.Abs(float64(r>>8)-math.Mod(gx, 256)) > 1.5 || math.Abs(float64(g>>8)-math.Mod(gy, 256)) > 1.5 {
			t.Errorf("%v at z%d: pixel shows source tile %d,%d pixel %d,%d; want tile %d,%d pixel %.1f,%.1f",
				c.p, c.z, b>>12, (b>>8)%16, r>>8, g>>8, wantTX%16, wantTY%16, math.Mod(gx, 256), math.Mod(gy, 256))
		}
	}
	// Cached: asking again fetches nothing.
	before := hits.Load()
	tx, ty, _, _ := tileOf(orb.Point{120.1551, 30.2741}, 16)
	if _, err := s.Tile(ctx, 16, tx, ty); err != nil || hits.Load() != before {
		t.Errorf("second request: %v, %d more source fetches", err, hits.Load()-before)
	}
}

// TestRefusals: a tile outside the grid, a failing or hostile source.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	ok := func(http.ResponseWriter, int, int, int) bool { return false }
	srv, _ := source(t, ok)
	s := rastershift.New(srv.URL+"/{z}/{x}/{y}.png", srv.Client(), 1<<20)
	for _, c := range [][3]int{{23, 0, 0}, {3, 8, 0}, {3, 0, -1}} {
		if _, err := s.Tile(ctx, c[0], c[1], c[2]); err != rastershift.ErrTile {
			t.Errorf("tile %v: %v, want ErrTile", c, err)
		}
	}
	for name, h := range map[string]func(w http.ResponseWriter, z, x, y int) bool{
		"down": func(w http.ResponseWriter, _, _, _ int) bool {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return true
		},
		"not png": func(w http.ResponseWriter, _, _, _ int) bool { w.Write([]byte("<html>")); return true },
		"too big": func(w http.ResponseWriter, _, _, _ int) bool { w.Write(bytes.Repeat([]byte{0}, 5<<20)); return true },
		"512 px":  func(w http.ResponseWriter, _, _, _ int) bool { w.Write(bigPNG()); return true },
	} {
		srv, _ := source(t, h)
		s := rastershift.New(srv.URL+"/{z}/{x}/{y}.png", srv.Client(), 1<<20)
		if _, err := s.Tile(ctx, 16, 54649, 26781); err == nil || !strings.Contains(err.Error(), "basemap tile") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A missing source tile is transparent, not an error.
	srv, _ = source(t, func(w http.ResponseWriter, _, _, _ int) bool { http.NotFound(w, nil); return true })
	s = rastershift.New(srv.URL+"/{z}/{x}/{y}.png", srv.Client(), 1<<20)
	e, err := s.Tile(ctx, 16, 54649, 26781)
	if err != nil {
		t.Fatal(err)
	}
	img, _ := png.Decode(bytes.NewReader(e.Data))
	if _, _, _, a := img.At(128, 128).RGBA(); a != 0 {
		t.Errorf("missing source tiles drawn with alpha %d", a)
	}
}

func bigPNG() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 512, 512)))
	return b.Bytes()
}
