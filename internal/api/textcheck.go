package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
)

// validText refuses, before any handler runs, text PostgreSQL would refuse
// (a NUL byte) or that is not UTF-8, in the path, the query and JSON
// bodies: 400 naming the parameter or the JSON field, instead of a 500 from
// the database after part of the work. One place for every route.
func validText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := checkIdempotencyKey(r.Header.Get("Idempotency-Key")); err != nil {
			return err
		}
		if err := checkText("path", r.URL.Path); err != nil {
			return err
		}
		for name, vs := range r.URL.Query() {
			if err := checkText("query parameter name", name); err != nil {
				return err
			}
			for _, v := range vs {
				if err := checkText("query parameter "+strconv.Quote(name), v); err != nil {
					return err
				}
			}
		}
		if r.Body == nil || r.Body == http.NoBody || !jsonBody(r.Header.Get(echo.HeaderContentType)) {
			return next(c)
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
				return apperr.New(apperr.ErrTooLarge, "request body too large")
			}
			return apperr.New(apperr.ErrInvalid, "request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if err := checkJSONText(raw); err != nil {
			return err
		}
		return next(c)
	}
}

// jsonBody tells whether a body of Content-Type ct is read as JSON: JSON
// types (GeoJSON and the like included), and none or text/plain, which the
// JSON handlers decode all the same.
func jsonBody(ct string) bool {
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain"
}

func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return apperr.New(apperr.ErrInvalid, "%s: not valid UTF-8", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return apperr.New(apperr.ErrInvalid, "%s: contains a NUL character", what)
	}
	return nil
}

// checkJSONText checks raw is UTF-8 and that no key or string value holds
// NUL (sent as \u0000), naming the field by its path (a.b[2].c). Malformed
// JSON is left to the handler's decoder, which says what is wrong.
func checkJSONText(raw []byte) error {
	if !utf8.Valid(raw) {
		i := 0
		for i < len(raw) {
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return apperr.New(apperr.ErrInvalid, "request body: not valid UTF-8 (at byte %d)", i)
	}
	if !bytes.Contains(raw, []byte(`\u0000`)) && bytes.IndexByte(raw, 0) < 0 {
		return nil // the common case: no walk
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	// A stack of containers: for objects the current key, for arrays the index.
	type frame struct {
		object bool
		key    string
		index  int
		keyNow bool // object: the next string is a key
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		if b.Len() == 0 {
			return "request body"
		}
		return b.String()
	}
	// value marks that a value was consumed in the current container.
	value := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].keyNow = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF or malformed: the handler reports it
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{object: true, keyNow: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				value()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].keyNow {
				stack[n-1].key = t
				stack[n-1].keyNow = false
				if strings.IndexByte(t, 0) >= 0 {
					return apperr.New(apperr.ErrInvalid, "%s: a field name contains a NUL character", path())
				}
				continue
			}
			if strings.IndexByte(t, 0) >= 0 {
				return apperr.New(apperr.ErrInvalid, "%s: contains a NUL character", path())
			}
			value()
		default:
			value()
		}
	}
}

// MaxIdempotencyKey is the longest Idempotency-Key the idempotency_keys
// table takes (its CHECK): refused up front, not after the edit ran.
const MaxIdempotencyKey = 200

func checkIdempotencyKey(k string) error {
	if len(k) > MaxIdempotencyKey {
		return apperr.New(apperr.ErrInvalid, "Idempotency-Key: %d characters, at most %d", len(k), MaxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return apperr.New(apperr.ErrInvalid, "Idempotency-Key: printable ASCII only (a UUID, say)")
		}
	}
	return nil
}

// securityHeaders sets what every answer carries: no sniffing, no framing,
// no referrer beyond the origin, a CSP allowing only this origin's scripts
// and styles (MapLibre needs blob: workers and data: images).
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
			"img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
		// API and OGC answers that chose no caching of their own (tiles,
		// photos and public cards do) are stored by no browser or proxy:
		// an unmasked answer must not outlive the page that asked for it.
		if p := c.Request().URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/ogc") {
			c.Response().Before(func() {
				if h.Get("Cache-Control") == "" {
					h.Set("Cache-Control", "no-store")
				}
			})
		}
		return next(c)
	}
}
