package api_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"wangge/static"
)

// fetch GETs url with the given Accept-Encoding ("" : none, so identity) and
// If-None-Match, without the transport's own decompression.
func fetch(t *testing.T, url, encoding, ifNoneMatch string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", encoding)
	if encoding == "" {
		req.Header.Set("Accept-Encoding", "identity")
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestFrontEndCompressedAndCached loads the page as a browser does: every
// file index.html names and every app module, identity and gzip, and then
// revalidates.
func TestFrontEndCompressedAndCached(t *testing.T) {
	base := demoServer(t)
	_, page := fetch(t, base+"/", "", "")
	refs := regexp.MustCompile(`(?:src|href)="(/[^"]+)"`).FindAllStringSubmatch(string(page), -1)
	var urls []string
	vendored := 0
	for _, r := range refs {
		u := r[1]
		if strings.HasPrefix(u, "/vendor/") {
			vendored++
			if !regexp.MustCompile(`^/vendor/[^?]+\?v=[0-9a-f]{16}$`).MatchString(u) {
				t.Errorf("index.html names %s, not a content-hashed URL", u)
			}
		}
		urls = append(urls, u)
	}
	if vendored < 5 {
		t.Fatalf("index.html names %d vendored files, want the 5 (maplibre js+css, terra-draw, adapter, echarts): %s", vendored, page)
	}
	modules, _ := fs.Glob(static.FS, "*.js")
	for _, m := range modules {
		if m != "app.js" { // named in index.html already
			urls = append(urls, "/"+m)
		}
	}
	urls = append(urls, "/")
	var identity, compressed int
	for _, u := range urls {
		plain, pb := fetch(t, base+u, "", "")
		zipped, zb := fetch(t, base+u, "gzip, deflate, br", "")
		if plain.StatusCode != 200 || zipped.StatusCode != 200 {
			t.Fatalf("%s: %d / %d", u, plain.StatusCode, zipped.StatusCode)
		}
		if plain.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: %q without Accept-Encoding gzip", u, plain.Header.Get("Content-Encoding"))
		}
		identity += len(pb)
		compressed += len(zb)
		if len(pb) > 4096 {
			if zipped.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("%s (%d bytes) not compressed", u, len(pb))
			} else {
				zr, err := gzip.NewReader(bytes.NewReader(zb))
				if err != nil {
					t.Fatalf("%s: %v", u, err)
				}
				unzipped, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(unzipped, pb) {
					t.Errorf("%s: the gzip answer is not the identity answer (%v)", u, err)
				}
			}
			if !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: no Vary: Accept-Encoding", u)
			}
		}
		cc := plain.Header.Get("Cache-Control")
		if strings.HasPrefix(u, "/vendor/") {
			if cc != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", u, cc)
			}
			continue
		}
		// index.html and the app modules: revalidated, 304 when unchanged.
		if cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache", u, cc)
		}
		for _, enc := range []string{"", "gzip"} {
			first, _ := fetch(t, base+u, enc, "")
			etag := first.Header.Get("ETag")
			if etag == "" {
				t.Fatalf("%s: no ETag", u)
			}
			again, body := fetch(t, base+u, enc, etag)
			if again.StatusCode != http.StatusNotModified || len(body) != 0 {
				t.Errorf("%s (%q): revalidation %d with %d bytes, want 304 and none", u, enc, again.StatusCode, len(body))
			}
			if stale, _ := fetch(t, base+u, enc, `"0000000000000000"`); stale.StatusCode != 200 {
				t.Errorf("%s: a stale ETag got %d", u, stale.StatusCode)
			}
		}
	}
	// An old ?v= is not this content: no year-long caching under that name.
	if resp, _ := fetch(t, base+"/vendor/maplibre-gl.js?v=0123456789abcdef", "", ""); resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale hash: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if resp, _ := fetch(t, base+"/no-such-file.js", "gzip", ""); resp.StatusCode != 404 {
		t.Errorf("a missing file: %d", resp.StatusCode)
	}
	t.Logf("front end, %d files: %d bytes identity, %d bytes gzip (%.1f%%)", len(urls), identity, compressed, 100*float64(compressed)/float64(identity))
	if compressed*3 > identity {
		t.Errorf("gzip %d bytes of %d: less than a third saved", compressed, identity)
	}
}
