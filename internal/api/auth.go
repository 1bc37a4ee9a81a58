package api

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
)

const (
	sessionCookie = "wangge_session"
	principalKey  = "principal"
	// A looked-up session is trusted this long without asking the database,
	// so map tiles don't cost a query each; logout on this instance is immediate.
	sessionCacheTTL = 5 * time.Second
)

// sessionCache remembers recent token lookups.
type sessionCache struct {
	mu      sync.Mutex
	entries map[string]cachedSession
}

type cachedSession struct {
	p       auth.Principal
	expires time.Time
}

func (sc *sessionCache) get(key string) (auth.Principal, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	e, ok := sc.entries[key]
	if !ok || time.Now().After(e.expires) {
		return auth.Principal{}, false
	}
	return e.p, true
}

func (sc *sessionCache) put(key string, p auth.Principal) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.entries == nil || len(sc.entries) > 100000 {
		sc.entries = map[string]cachedSession{}
	}
	sc.entries[key] = cachedSession{p: p, expires: time.Now().Add(sessionCacheTTL)}
}

func (sc *sessionCache) drop(key string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	delete(sc.entries, key)
}

// bearerToken reads the token from Authorization or the browser's cookie.
func bearerToken(c echo.Context) string {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if ck, err := c.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

// sameOrigin refuses a write carried by the session cookie unless the
// browser says it comes from this server's own pages (Origin): the cookie is
// SameSite=Strict, and this also holds where a browser or a proxy in between
// ignores that. Bearer tokens are not sent by browsers on their own, so
// calls with Authorization need no check.
func (s *Server) sameOrigin(c echo.Context) error {
	r := c.Request()
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if r.Header.Get(echo.HeaderAuthorization) != "" {
		return nil
	}
	origin := r.Header.Get(echo.HeaderOrigin)
	if origin == "" || (origin != c.Scheme()+"://"+r.Host && origin != s.opt.PublicURL) {
		return apperr.New(apperr.ErrForbidden, "a write with the session cookie must come from this site's pages (Origin %q)", origin)
	}
	return nil
}

// authenticate rejects requests without a live session and records the
// principal for the handlers.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		token := bearerToken(c)
		if token == "" {
			return apperr.New(apperr.ErrUnauthorized, "log in first: POST /api/login, then send Authorization: Bearer TOKEN")
		}
		if err := s.sameOrigin(c); err != nil {
			return err
		}
		hash := auth.TokenHash(token)
		key := string(hash)
		p, ok := s.sessions.get(key)
		if !ok {
			var err error
			p, err = s.opt.Store.Session(c.Request().Context(), hash)
			if err != nil {
				return err
			}
			s.sessions.put(key, p)
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// principal is the authenticated user of the request.
func principal(c echo.Context) auth.Principal {
	p, _ := c.Get(principalKey).(auth.Principal)
	return p
}

// require lets a route through only for roles that may do a at all; handlers
// still check the unit with authorize.
func (s *Server) require(a auth.Action) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !principal(c).Can(a, "") {
				return apperr.New(apperr.ErrForbidden, "role %s may not %s", principal(c).Role, a)
			}
			return next(c)
		}
	}
}

// may is the middleware of a route for action a: logged in, and a role that
// may do a somewhere.
func (s *Server) may(a auth.Action) []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{s.authenticate, s.require(a)}
}

// authorize checks a on one unit.
func authorize(c echo.Context, a auth.Action, unit string) error {
	p := principal(c)
	if !p.Can(a, unit) {
		return apperr.New(apperr.ErrForbidden, "%s %s may not %s in unit %s", p.Role, p.Username, a, unit)
	}
	return nil
}

// auditBase fills who/where of an audit entry from the request.
func auditBase(c echo.Context, action, objectType, objectID string) store.AuditEntry {
	p := principal(c)
	e := store.AuditEntry{
		Username: p.Username, Role: string(p.Role), Action: action, ObjectType: objectType, ObjectID: objectID,
		ClientIP: c.RealIP(), RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
	}
	if p.UserID != 0 {
		id := p.UserID
		e.UserID = &id
	}
	return e
}

// newLoginStore is the per-client-address budget of password checks, shared
// by /api/login and HTTP Basic (so neither walks around the other).
func newLoginStore(perMinute float64, burst int) middleware.RateLimiterStore {
	return middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(perMinute / 60), Burst: burst, ExpiresIn: 10 * time.Minute,
	})
}

// loginLimiter bounds login attempts per client address.
func loginLimiter(store middleware.RateLimiterStore) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return apperr.New(apperr.ErrInvalid, "cannot identify client")
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "60")
			return apperr.New(apperr.ErrRateLimited, "too many login attempts from %s; wait a minute", id)
		},
	})
}

// setSessionCookie gives the browser front end the session as an HttpOnly,
// SameSite=Strict cookie (no script can read it, no other site can send it).
func setSessionCookie(c echo.Context, token string, expires time.Time) {
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
	})
}
