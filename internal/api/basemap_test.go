package api_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"wangge/internal/api"
	"wangge/internal/store"
	"wangge/static"
)

// TestGCJBasemapServedShifted: with WANGGE_BASEMAP_CRS=gcj02 the page is
// given this server's /tiles/basemap, whose tiles are cut from the GCJ-02
// service (a different picture from the source's own tile at the same
// z/x/y), cached with an ETag; a failing service is 503, bad coordinates 400.
func TestGCJBasemapServedShifted(t *testing.T) {
	demoServer(t)
	var down atomic.Bool
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		img := image.NewRGBA(image.Rect(0, 0, 256, 256))
		for y := 0; y < 256; y++ {
			for x := 0; x < 256; x++ {
				img.Set(x, y, color.RGBA{uint8(x), uint8(y), 0, 255})
			}
		}
		png.Encode(w, img)
	}))
	defer src.Close()
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: quiet,
		BasemapURL: src.URL + "/{z}/{x}/{y}.png", BasemapCRS: "gcj02"}).Handler())
	defer srv.Close()
	tok := tokenFor(t, srv.URL, "officer")
	resp, body := do(t, "GET", srv.URL+"/api/config", "", "")
	var cfg struct {
		BasemapURL string `json:"basemap_url"`
	}
	if json.Unmarshal(body, &cfg) != nil || cfg.BasemapURL != srv.URL+"/tiles/basemap/{z}/{x}/{y}.png" {
		t.Fatalf("config: %d %s", resp.StatusCode, body)
	}
	// Hangzhou at z16: the GCJ-02 shift is hundreds of metres, many pixels.
	url := srv.URL + "/tiles/basemap/16/54649/26781.png"
	resp, body = do(t, "GET", url, tok, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("ETag") == "" {
		t.Fatalf("tile: %d %s %.100s", resp.StatusCode, resp.Header, body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, _, _ := img.At(0, 0).RGBA(); r == 0 && g == 0 {
		t.Errorf("the tile's corner is the source tile's corner: not shifted")
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != 304 {
		t.Errorf("revalidation: %v %v", r, err)
	}
	down.Store(true)
	resp, body = do(t, "GET", srv.URL+"/tiles/basemap/16/54650/26781.png", tok, "")
	wantError(t, "service down", resp, body, 503, "unavailable")
	resp, body = do(t, "GET", srv.URL+"/tiles/basemap/23/0/0.png", tok, "")
	if resp.StatusCode != 400 || !strings.Contains(string(body), "tile") {
		t.Errorf("z23: %d %s", resp.StatusCode, body)
	}
}
