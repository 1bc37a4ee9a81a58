package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/sync/singleflight"

	"wangge/internal/apperr"
	"wangge/internal/auth"
)

// GIS desktop clients (QGIS, GDAL, ArcGIS) often cannot send a bearer token.
// The read-only map routes (/ogc/..., /tiles/...) also accept HTTP Basic
// credentials — checked like /api/login: the same per-address budget, the
// same lock-out, the same audit of failures — and a map key in the URL
// (?key=, as tile services do). Neither is accepted anywhere else: a browser
// replays Basic credentials on its own, and a URL ends up in logs and
// histories, so neither may carry a write.

// mapKeyParam is the query parameter carrying a map key.
const mapKeyParam = "key"

// gisAuth holds what Basic and key checks share across requests.
type gisAuth struct {
	logins middleware.RateLimiterStore // password checks per client address (with /api/login)
	flight singleflight.Group          // one password check for a burst of tile requests
	secret []byte                      // keys the in-memory cache of Basic credentials
}

func newGISAuth(perMinute float64, burst int) gisAuth {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return gisAuth{logins: newLoginStore(perMinute, burst), secret: secret}
}

// mayReadMap is the middleware of the read-only GIS routes.
func (s *Server) mayReadMap() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{s.authenticateGIS, s.require(auth.ReadMap)}
}

// authenticateGIS takes a map key, else Basic credentials, else the session
// (bearer token or cookie) as everywhere.
func (s *Server) authenticateGIS(next echo.HandlerFunc) echo.HandlerFunc {
	session := s.authenticate(next)
	return func(c echo.Context) error {
		var p auth.Principal
		var err error
		if key := c.QueryParam(mapKeyParam); key != "" {
			p, err = s.mapKeyPrincipal(c, key)
		} else if user, pw, ok := c.Request().BasicAuth(); ok {
			p, err = s.basicPrincipal(c, user, pw)
		} else {
			err = session(c)
			if _, ck := c.Cookie(sessionCookie); ck == nil || c.Request().Header.Get(echo.HeaderAuthorization) != "" {
				return err // a browser's session or a bearer client: no Basic challenge
			}
			s.challenge(c, err)
			return err
		}
		if err != nil {
			s.challenge(c, err)
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// challenge tells a GIS client refused for its credentials that Basic works
// here (QGIS and GDAL then ask for, or send, them).
func (s *Server) challenge(c echo.Context, err error) {
	if errors.Is(err, apperr.ErrUnauthorized) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="wangge", charset="UTF-8"`)
	}
}

// basicPrincipal checks HTTP Basic credentials. A success is remembered for
// the session cache's few seconds (keyed by an HMAC, never the password), so
// a map view's tiles cost one argon2 check, not one each.
func (s *Server) basicPrincipal(c echo.Context, user, pw string) (auth.Principal, error) {
	if user == "" || pw == "" || len(user) > maxUsername {
		return auth.Principal{}, apperr.New(apperr.ErrUnauthorized, "Basic credentials need a username (at most %d bytes) and a password", maxUsername)
	}
	mac := hmac.New(sha256.New, s.gis.secret)
	mac.Write([]byte(user + "\x00" + pw))
	key := "basic:" + string(mac.Sum(nil))
	if p, ok := s.sessions.get(key); ok {
		return p, nil
	}
	v, err, _ := s.gis.flight.Do(key, func() (any, error) {
		if ok, _ := s.gis.logins.Allow(c.RealIP()); !ok {
			c.Response().Header().Set("Retry-After", "60")
			return nil, apperr.New(apperr.ErrRateLimited, "too many login attempts from %s; wait a minute", c.RealIP())
		}
		u, err := s.checkPassword(c, user, pw)
		if err != nil {
			return nil, err
		}
		s.sessions.put(key, u.Principal)
		return u.Principal, nil
	})
	if err != nil {
		return auth.Principal{}, err
	}
	return v.(auth.Principal), nil
}

// mapKeyPrincipal is the user of a live map key. Keys are 256 random bits:
// guessing needs no rate limit.
func (s *Server) mapKeyPrincipal(c echo.Context, key string) (auth.Principal, error) {
	hash := auth.TokenHash(key)
	ck := mapKeyCacheKey(hash)
	if p, ok := s.sessions.get(ck); ok {
		return p, nil
	}
	p, err := s.opt.Store.MapKeyPrincipal(c.Request().Context(), hash)
	if err != nil {
		return p, err
	}
	s.sessions.put(ck, p)
	return p, nil
}

func mapKeyCacheKey(hash []byte) string { return "mapkey:" + string(hash) }

// keyQuery is "?key=K" when the request came with a map key, so links in
// OGC answers and TileJSON lead a client that only knows the URL onwards.
func keyQuery(c echo.Context) string {
	if key := c.QueryParam(mapKeyParam); key != "" {
		return "?" + mapKeyParam + "=" + url.QueryEscape(key)
	}
	return ""
}

// redactKey hides a map key in a logged URI.
func redactKey(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok || !strings.Contains(query, mapKeyParam+"=") {
		return uri
	}
	v, err := url.ParseQuery(query)
	if err != nil {
		return path + "?REDACTED"
	}
	if !v.Has(mapKeyParam) {
		return uri
	}
	v.Set(mapKeyParam, "REDACTED")
	return path + "?" + v.Encode()
}
