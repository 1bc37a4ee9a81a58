package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// The front end's files, read once at start: each with its gzip form (made
// once here, never per request) and a content hash. The vendored libraries
// (vendor/, ~2.4 MB) are named in index.html as /vendor/NAME?v=HASH, so a
// browser keeps them a year and a new build's new hash fetches them again;
// index.html and the app modules (imported by relative URL, so not renamed)
// are revalidated each time against their ETag, mostly a 304.

// immutable is the answer's Cache-Control for a hashed vendor URL.
const immutable = "public, max-age=31536000, immutable"

type asset struct {
	body, gz    []byte // gz nil: not worth compressing (it would not shrink by a tenth)
	hash        string // first 16 hex digits of the SHA-256 of body
	contentType string
}

type assets struct {
	files map[string]*asset // by path without the leading slash
}

// vendorRef matches the references to vendored files in index.html.
var vendorRef = regexp.MustCompile(`((?:src|href)=")/(vendor/[^"?#]+)"`)

var (
	assetsMu    sync.Mutex
	assetsCache = map[fs.FS]*assets{} // the embedded FS is read and compressed once per process, not once per server
)

// loadAssets reads every file of fsys, compresses what shrinks, and writes
// the vendored files' hashes into index.html.
func loadAssets(fsys fs.FS) (*assets, error) {
	comparable := reflect.TypeOf(fsys).Comparable() // an embed.FS is; an fstest.MapFS (a map) is not
	if comparable {
		assetsMu.Lock()
		defer assetsMu.Unlock()
		if a := assetsCache[fsys]; a != nil {
			return a, nil
		}
	}
	a := &assets{files: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(p, "/e2e/") || strings.HasPrefix(p, "e2e/") || strings.HasPrefix(p, "node_modules/") {
			return nil // tests and build tools are never served (they are not embedded either)
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		a.files[p] = newAsset(p, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("api: front end files: %w", err)
	}
	if idx := a.files["index.html"]; idx != nil {
		var missing []string
		html := vendorRef.ReplaceAllStringFunc(string(idx.body), func(m string) string {
			g := vendorRef.FindStringSubmatch(m)
			v := a.files[g[2]]
			if v == nil {
				missing = append(missing, g[2])
				return m
			}
			return g[1] + "/" + g[2] + "?v=" + v.hash + `"`
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("api: index.html names %s, not in the front end's files", strings.Join(missing, ", "))
		}
		a.files["index.html"] = newAsset("index.html", []byte(html))
	}
	if comparable {
		assetsCache[fsys] = a
	}
	return a, nil
}

func newAsset(p string, body []byte) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, hash: hex.EncodeToString(sum[:8]), contentType: mime.TypeByExtension(path.Ext(p))}
	if a.contentType == "" {
		a.contentType = http.DetectContentType(body)
	}
	if len(body) >= 1024 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid: no error
		_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
		_ = zw.Close()
		if buf.Len() < len(body)*9/10 {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// serve answers GET /* from the loaded files.
func (a *assets) serve(c echo.Context) error {
	r, w := c.Request(), c.Response()
	p := strings.TrimPrefix(path.Clean("/"+c.Param("*")), "/")
	if p == "" {
		p = "index.html"
	}
	f := a.files[p]
	if f == nil {
		return echo.ErrNotFound
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	if strings.HasPrefix(p, "vendor/") && r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", immutable)
	} else {
		// A stale or missing ?v= is not this content's name: revalidate.
		h.Set("Cache-Control", "no-cache")
	}
	body, etag := f.body, `"`+f.hash+`"`
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			// Each encoding its own ETag: a cache must not answer one with the other.
			body, etag = f.gz, `"`+f.hash+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match (304), HEAD and ranges; acceptsGzip is tiles.go's.
	http.ServeContent(w, r, p, time.Time{}, bytes.NewReader(body))
	return nil
}
