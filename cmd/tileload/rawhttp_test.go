package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRawConn reads net/http's responses on one keep-alive connection:
// Content-Length, chunked (several flushes), 304 and gzip headers.
func TestRawConn(t *testing.T) {
	big := bytes.Repeat([]byte("tile"), 10000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", "40000")
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("ETag", `"abc"`)
			w.Write(big)
		case "/chunked":
			for i := range 4 {
				w.Write(big[i*10000 : (i+1)*10000])
				w.(http.Flusher).Flush()
			}
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	rc, err := newRawConn(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		path   string
		status int
		length int
		gzip   bool
		etag   string
	}{
		{"/length", 200, 40000, true, `"abc"`},
		{"/chunked", 200, 40000, false, ""},
		{"/304", 304, 0, false, ""},
		{"/missing", 404, len("404 page not found\n"), false, ""},
		{"/length", 200, 40000, true, `"abc"`}, // the connection is still in step
	}
	for _, tt := range tests {
		resp, err := rc.do(rawRequest(host, tt.path, "Accept-Encoding: gzip"))
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if resp.status != tt.status || resp.length != tt.length || resp.gzip != tt.gzip || resp.etag != tt.etag {
			t.Errorf("%s: got %+v, want status %d length %d gzip %v etag %s", tt.path, resp, tt.status, tt.length, tt.gzip, tt.etag)
		}
	}
}
