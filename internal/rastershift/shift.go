// Package rastershift serves a GCJ-02 raster basemap (most Chinese web maps
// and many intranet tile services) aligned with wangge's WGS-84 data: each
// 256-pixel tile of the WGS-84 tile grid is cut out of the GCJ-02 tiles under
// its shifted window. GCJ-02 moves a point by 100–700 m; the shift is taken
// at the tile's centre (geo/crs, the one GCJ-02 rule), and across one tile it
// changes by under a pixel. Work per tile is bounded: at most four source
// tiles, each at most maxBody bytes and 256 pixels a side, within the
// request's deadline; tiles are cached (internal/tilecache).
package rastershift

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // source tiles may be JPEG
	"image/png"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"

	"wangge/geo/crs"
	"wangge/internal/tilecache"
)

const (
	size    = 256
	maxZoom = 22
	maxBody = 4 << 20 // bytes of one source tile
)

// Source is a GCJ-02 XYZ raster service ({z}, {x}, {y} in its template).
type Source struct {
	template string
	client   *http.Client
	cache    *tilecache.Cache
	enc      png.Encoder
}

// New returns a Source for template, fetched with client (nil:
// http.DefaultClient), keeping up to cacheBytes of shifted tiles.
func New(template string, client *http.Client, cacheBytes int64) *Source {
	if client == nil {
		client = http.DefaultClient
	}
	return &Source{template: template, client: client, cache: tilecache.New(tilecache.Config{MaxBytes: cacheBytes}),
		enc: png.Encoder{CompressionLevel: png.BestSpeed}}
}

// ErrTile is a z/x/y outside the tile grid.
var ErrTile = errors.New("rastershift: no such tile")

// Tile returns WGS-84 tile z/x/y as PNG.
func (s *Source) Tile(ctx context.Context, z, x, y int) (tilecache.Entry, error) {
	if z < 0 || z > maxZoom || x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return tilecache.Entry{}, ErrTile
	}
	return s.cache.GetOrRender(tilecache.Key{Layer: "basemap", Z: uint8(z), X: uint32(x), Y: uint32(y)}, func() ([]byte, error) {
		return s.render(ctx, z, x, y)
	})
}

// Window is where WGS-84 tile z/x/y lies on the GCJ-02 source's pixel grid
// at zoom z: the world pixel of its top-left corner.
func Window(z, x, y int) (left, top float64) {
	n := float64(int(1) << z)
	centre := orb.Point{(float64(x)+0.5)/n*360 - 180, math.Atan(math.Sinh(math.Pi*(1-2*(float64(y)+0.5)/n))) * 180 / math.Pi}
	g := crs.WGS84ToGCJ02(centre)
	gx, gy := worldPixel(g, n)
	cx, cy := worldPixel(centre, n)
	return float64(x*size) + gx - cx, float64(y*size) + gy - cy
}

func worldPixel(p orb.Point, n float64) (float64, float64) {
	lat := p[1] * math.Pi / 180
	return (p[0] + 180) / 360 * n * size, (1 - math.Log(math.Tan(lat)+1/math.Cos(lat))/math.Pi) / 2 * n * size
}

func (s *Source) render(ctx context.Context, z, x, y int) ([]byte, error) {
	left, top := Window(z, x, y)
	l, t := int(math.Round(left)), int(math.Round(top))
	tx0, ty0 := floorDiv(l, size), floorDiv(t, size)
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		got      int
	)
	for dy := 0; dy < 2; dy++ {
		for dx := 0; dx < 2; dx++ {
			tx, ty := tx0+dx, ty0+dy
			if tx < 0 || ty < 0 || tx >= 1<<z || ty >= 1<<z {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				img, err := s.fetch(ctx, z, tx, ty)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					if firstErr == nil {
						firstErr = err
					}
				case img != nil:
					got++
					at := image.Pt(tx*size-l, ty*size-t)
					draw.Draw(out, image.Rectangle{Min: at, Max: at.Add(image.Pt(size, size))}, img, img.Bounds().Min, draw.Src)
				}
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	var b bytes.Buffer
	if err := s.enc.Encode(&b, out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// fetch reads source tile z/x/y; a missing tile (404) is nil.
func (s *Source) fetch(ctx context.Context, z, x, y int) (image.Image, error) {
	url := strings.NewReplacer("{z}", strconv.Itoa(z), "{x}", strconv.Itoa(x), "{y}", strconv.Itoa(y)).Replace(s.template)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: %w", z, x, y, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusNoContent {
		return nil, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: the service answered %s", z, x, y, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: %w", z, x, y, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: over %d bytes", z, x, y, maxBody)
	}
	// The size first: a small file may declare a huge image.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: not a PNG or JPEG image: %w", z, x, y, err)
	}
	if cfg.Width != size || cfg.Height != size {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: %d×%d pixels, want 256×256", z, x, y, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("basemap tile %d/%d/%d: %w", z, x, y, err)
	}
	return img, nil
}
