package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/store"
)

// A dummy hash so an unknown username costs as much time as a wrong password.
var dummyHash, _ = auth.HashPassword("wangge-timing-equaliser")

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// login answers POST /api/login with a bearer token (and the same session as
// a cookie for the browser). Failed attempts count towards a lock-out.
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return apperr.New(apperr.ErrInvalid, "username and password are required")
	}
	if len(req.Username) > maxUsername {
		return apperr.New(apperr.ErrInvalid, "username: at most %d bytes", maxUsername)
	}
	ctx := c.Request().Context()
	u, err := s.checkPassword(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	token, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	expires := time.Now().Add(s.opt.SessionTTL)
	if err := s.opt.Store.CreateSession(ctx, u.UserID, hash, expires, c.RealIP()); err != nil {
		return err
	}
	c.Set(principalKey, u.Principal)
	if err := s.opt.Store.Audit(ctx, nil, auditBase(c, "login", "user", u.Username)); err != nil {
		return err
	}
	setSessionCookie(c, token, expires)
	return c.JSON(http.StatusOK, map[string]any{"token": token, "expires_at": expires, "user": u.Principal})
}

// checkPassword is the one password check of /api/login and HTTP Basic: a
// failure counts towards the account's lock-out and is audited; a locked
// account is refused whatever the password.
func (s *Server) checkPassword(c echo.Context, username, password string) (store.User, error) {
	ctx := c.Request().Context()
	u, err := s.opt.Store.UserByName(ctx, username)
	if errors.Is(err, apperr.ErrNotFound) {
		_, _ = auth.CheckPassword(dummyHash, password)
		// What was typed may be a password in the wrong field: the
		// append-only audit log gets a short digest to correlate
		// attempts, never the text.
		sum := sha256.Sum256([]byte(username))
		return u, s.loginRefused(c, "unknown:"+hex.EncodeToString(sum[:6]), nil)
	}
	if err != nil {
		return u, err
	}
	if u.LockedUntil != nil && u.LockedUntil.After(time.Now()) {
		c.Response().Header().Set("Retry-After", retryAfter(*u.LockedUntil))
		return u, apperr.New(apperr.ErrRateLimited, "account locked after repeated failed logins until %s", u.LockedUntil.Format(time.RFC3339))
	}
	ok, _ := auth.CheckPassword(u.PasswordHash, password)
	if !ok || u.Disabled {
		if _, err := s.opt.Store.LoginFailed(ctx, u.UserID, s.opt.MaxLoginFailures, s.opt.LockFor); err != nil {
			return u, err
		}
		return u, s.loginRefused(c, u.Username, &u.UserID)
	}
	if err := s.opt.Store.LoginSucceeded(ctx, u.UserID); err != nil {
		return u, err
	}
	return u, nil
}

// maxUsername bounds a login's username (the longest a user can have is
// far shorter).
const maxUsername = 64

func (s *Server) loginRefused(c echo.Context, username string, userID *int64) error {
	s.metrics.failedLogins.Inc()
	e := auditBase(c, "login_failed", "user", username)
	e.UserID = userID
	if err := s.opt.Store.Audit(c.Request().Context(), nil, e); err != nil {
		return err
	}
	return apperr.New(apperr.ErrUnauthorized, "wrong username or password")
}

// retryAfter is the Retry-After header value (whole seconds) until t.
func retryAfter(t time.Time) string {
	return strconv.Itoa(int(time.Until(t).Seconds()) + 1)
}

// logout revokes the session it is called with.
func (s *Server) logout(c echo.Context) error {
	hash := auth.TokenHash(bearerToken(c))
	if err := s.opt.Store.RevokeSession(c.Request().Context(), hash); err != nil {
		return err
	}
	s.sessions.drop(string(hash))
	if err := s.opt.Store.Audit(c.Request().Context(), nil, auditBase(c, "logout", "user", principal(c).Username)); err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return c.NoContent(http.StatusNoContent)
}

// me tells the front end who is logged in (and so which mode to open).
func (s *Server) me(c echo.Context) error {
	return c.JSON(http.StatusOK, principal(c))
}

// decodeJSON reads a JSON body strictly: unknown fields and trailing data are errors.
func decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var he *echo.HTTPError
		var me *http.MaxBytesError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge || errors.As(err, &me) {
			return apperr.New(apperr.ErrTooLarge, "request body too large")
		}
		return apperr.New(apperr.ErrInvalid, "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return apperr.New(apperr.ErrInvalid, "request body has data after the JSON value")
	}
	return nil
}
