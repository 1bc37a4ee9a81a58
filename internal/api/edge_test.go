package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestEdgeChecks: every answer carries the security headers, and an
// over-long Idempotency-Key is refused before the edit runs (it used to
// fail at the INSERT after the edit, as a 500).
func TestEdgeChecks(t *testing.T) {
	t.Parallel()
	base, pool := editServer(t)
	comm := editComm[2]
	tok := editToken(t, base, "planner")
	for _, path := range []string{"/healthz", "/", "/api/grids?parent=" + comm} {
		resp, _ := do(t, "GET", base+path, tok, "")
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, h, got, want)
			}
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	// Answers that may carry unmasked data are kept by no cache; an error too.
	for _, c := range []struct{ path, token string }{
		{"/api/grids?parent=" + comm, tok}, {"/api/me", tok}, {"/api/me", ""}, {"/ogc/collections", tok},
	} {
		resp, _ := do(t, "GET", base+c.path, c.token, "")
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s (%d): Cache-Control %q, want no-store", c.path, resp.StatusCode, got)
		}
	}
	if resp, _ := do(t, "GET", base+"/", "", ""); resp.Header.Get("Cache-Control") == "no-store" {
		t.Errorf("GET /: the page itself is cacheable, got Cache-Control no-store")
	}
	g := communityGrids(t, pool, comm)[0]
	for _, key := range []string{strings.Repeat("k", 201), "bad key"} {
		req, _ := http.NewRequest("PUT", base+"/api/grids/"+g.code+"?mode=adjust", strings.NewReader(putBody(g.geom, g.version, "same")))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("Idempotency-Key of %d chars: %d, want 400", len(key), resp.StatusCode)
		}
	}
	// A position of one number would be read as (lon, 0): refused, naming it.
	one := regexp.MustCompile(`\[(-?[0-9.]+),-?[0-9.]+\]`).ReplaceAllString(putBody(g.geom, g.version, "one number"), "[$1]")
	if resp, body := do(t, "PUT", base+"/api/grids/"+g.code+"?mode=adjust", tok, one); resp.StatusCode != 400 || !strings.Contains(string(body), "coordinates[0][0]") {
		t.Errorf("positions of one number: %d %s, want 400 naming coordinates[0][0]", resp.StatusCode, body)
	}
	if now := communityGrids(t, pool, comm)[0]; now.version != g.version {
		t.Errorf("refused request changed the grid: version %d → %d", g.version, now.version)
	}
}
