package api

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestVendorHashFollowsContent: a new build of a vendored library gets a new
// URL in index.html, so no browser keeps the old one under the new page.
func TestVendorHashFollowsContent(t *testing.T) {
	build := func(lib string) (string, string) {
		a, err := loadAssets(fstest.MapFS{
			"index.html":     {Data: []byte(`<link rel="stylesheet" href="/vendor/lib.css"><script src="/vendor/lib.js"></script><script type="module" src="/app.js"></script>`)},
			"vendor/lib.js":  {Data: []byte(lib)},
			"vendor/lib.css": {Data: []byte("a{}")},
			"app.js":         {Data: []byte("export {}")},
		})
		if err != nil {
			t.Fatal(err)
		}
		return a.files["vendor/lib.js"].hash, string(a.files["index.html"].body)
	}
	h1, page1 := build("var lib = 1;")
	h2, page2 := build("var lib = 2;")
	if h1 == h2 {
		t.Fatalf("two contents, one hash %s", h1)
	}
	for _, c := range []struct{ page, hash string }{{page1, h1}, {page2, h2}} {
		if !strings.Contains(c.page, `src="/vendor/lib.js?v=`+c.hash+`"`) || !strings.Contains(c.page, `href="/vendor/lib.css?v=`) {
			t.Errorf("index.html not rewritten with %s: %s", c.hash, c.page)
		}
		if !strings.Contains(c.page, `src="/app.js"`) {
			t.Errorf("an app module renamed: %s", c.page)
		}
	}
	if h, _ := build("var lib = 1;"); h != h1 {
		t.Errorf("the same content, hashes %s and %s", h1, h)
	}
	// A page naming a vendored file that is not there is a broken build.
	if _, err := loadAssets(fstest.MapFS{"index.html": {Data: []byte(`<script src="/vendor/gone.js"></script>`)}}); err == nil || !strings.Contains(err.Error(), "vendor/gone.js") {
		t.Errorf("a missing vendored file: %v", err)
	}
}
