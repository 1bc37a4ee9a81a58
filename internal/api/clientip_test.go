package api_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"wangge/internal/api"
	"wangge/internal/store"
	"wangge/static"
)

// TestClientAddressBehindProxies: X-Forwarded-For is believed only from a
// configured proxy. Without one, a forged header neither changes the address
// stored with the session (and audited) nor the login limiter's key.
func TestClientAddressBehindProxies(t *testing.T) {
	demoServer(t) // the shared demo database
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	for _, c := range []struct {
		name    string
		proxies []*net.IPNet
		want    string
	}{
		{"no proxy configured", nil, "127.0.0.1"},
		{"behind a trusted proxy", []*net.IPNet{loopback}, "203.0.113.7"},
	} {
		srv := httptest.NewServer(api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: quiet,
			TrustedProxies: c.proxies}).Handler())
		req, _ := http.NewRequest("POST", srv.URL+"/api/login", strings.NewReader(`{"username":"leader","password":"`+demoPassword+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		req.Header.Set("X-Real-IP", "198.51.100.9")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: login %d", c.name, resp.StatusCode)
		}
		var ip string
		if err := demoPool.QueryRow(context.Background(), `SELECT s.client_ip FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE u.username = 'leader' ORDER BY s.created_at DESC LIMIT 1`).Scan(&ip); err != nil {
			t.Fatal(err)
		}
		if ip != c.want {
			t.Errorf("%s: session stored from %q, want %q", c.name, ip, c.want)
		}
	}
}

// TestCookieWritesNeedOrigin: a write carried by the session cookie is
// refused without this site's Origin (a cross-site form post), accepted with
// it; reads and Authorization calls need none.
func TestCookieWritesNeedOrigin(t *testing.T) {
	base := demoServer(t)
	resp, err := http.Post(base+"/api/login", "application/json", strings.NewReader(`{"username":"leader","password":"`+demoPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "wangge_session" {
			cookie = ck
		}
	}
	if cookie == nil {
		t.Fatal("login set no session cookie")
	}
	send := func(method, path, origin string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "text/plain") // what a cross-site form can send
		req.AddCookie(cookie)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send("GET", "/api/me", ""); got != 200 {
		t.Errorf("GET with the cookie: %d, want 200", got)
	}
	for _, origin := range []string{"", "https://evil.example.com", "null"} {
		if got := send("POST", "/api/logout", origin); got != 403 {
			t.Errorf("cookie logout with Origin %q: %d, want 403", origin, got)
		}
	}
	if got := send("GET", "/api/me", ""); got != 200 {
		t.Errorf("a refused write ended the session: GET %d", got)
	}
	if got := send("POST", "/api/logout", base); got >= 300 {
		t.Errorf("cookie logout from this site: %d, want success", got)
	}
	if got := send("GET", "/api/me", ""); got != 401 {
		t.Errorf("after logout: GET %d, want 401", got)
	}
}
