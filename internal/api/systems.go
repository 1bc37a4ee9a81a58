package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Connected systems (系统对接, issue 21): keys with which another system
// reads the change feed, optionally with a webhook it is pushed to
// (internal/webhook). Issued, listed and revoked by whoever manages users,
// within their units; every step audited.

// systemKeyPrefix marks a system key among bearer tokens (sessions have none).
const systemKeyPrefix = "wgs_"

const systemCtxKey = "wangge.system"

func (s *Server) systemRoutes(api *echo.Group) {
	api.POST("/systems", s.createSystem, s.may(auth.ManageUsers)...)
	api.GET("/systems", s.listSystems, s.may(auth.ManageUsers)...)
	api.DELETE("/systems/:id", s.revokeSystem, s.may(auth.ManageUsers)...)
}

// createSystem answers POST /api/systems {"name", "unit_code", "types",
// "webhook_url"}: the key (and the webhook's signing secret) are in this
// answer only.
func (s *Server) createSystem(c echo.Context) error {
	var in struct {
		Name       string   `json:"name"`
		Unit       string   `json:"unit_code"`
		Types      []string `json:"types"`
		WebhookURL string   `json:"webhook_url"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	name, err := incidents.CleanText("name", in.Name, 100)
	if err != nil {
		return err
	}
	if name == "" {
		return apperr.New(apperr.ErrInvalid, "name: say which system this is (e.g. \"区网格化平台\")")
	}
	p := principal(c)
	if in.Unit == "" {
		in.Unit = p.Unit
	}
	if in.Unit != "" && !unit.IsUnitCode(in.Unit) {
		return apperr.New(apperr.ErrInvalid, "unit_code %q: want a 12-, 15- or 18-digit unit code", in.Unit)
	}
	if err := authorize(c, auth.ManageUsers, in.Unit); err != nil {
		return err
	}
	if len(in.Types) == 0 {
		in.Types = changeTypes
	}
	for _, t := range in.Types {
		if !slices.Contains(changeTypes, t) {
			return apperr.New(apperr.ErrInvalid, "types: %q is not one of %s", t, strings.Join(changeTypes, ", "))
		}
	}
	n := store.NewSystem{Name: name, Unit: in.Unit, Types: in.Types, CreatedBy: p.UserID}
	if in.WebhookURL != "" {
		u, err := url.Parse(in.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.WebhookURL) > 500 || u.User != nil {
			return apperr.New(apperr.ErrInvalid, "webhook_url %q: want an http(s) URL without credentials, at most 500 characters", in.WebhookURL)
		}
		if n.WebhookSecret, _, err = auth.NewToken(); err != nil {
			return err
		}
		n.WebhookURL = in.WebhookURL
	}
	secret, _, err := auth.NewToken()
	if err != nil {
		return err
	}
	key := systemKeyPrefix + secret
	n.KeyHash = auth.TokenHash(key)
	ctx := c.Request().Context()
	var sys store.System
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if sys, err = s.opt.Store.CreateSystem(ctx, tx, n); err != nil {
			return err
		}
		e := auditBase(c, "system.create", "system", strconv.FormatInt(sys.ID, 10))
		e.Details, _ = json.Marshal(map[string]any{"name": name, "unit_code": in.Unit, "types": in.Types, "webhook_url": in.WebhookURL})
		return s.opt.Store.Audit(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	out := map[string]any{"system": sys, "key": key}
	if n.WebhookSecret != "" {
		out["webhook_secret"] = n.WebhookSecret
	}
	return c.JSON(http.StatusCreated, out)
}

// listSystems answers GET /api/systems: the systems within the caller's
// units with their delivery state (never a secret).
func (s *Server) listSystems(c echo.Context) error {
	list, err := s.opt.Store.Systems(c.Request().Context(), scopePrefix(principal(c)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"systems": list})
}

// revokeSystem answers DELETE /api/systems/:id: the key stops working at
// once on every instance (nothing caches it) and the webhook stops.
func (s *Server) revokeSystem(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.opt.Store.RevokeSystem(ctx, tx, id, scopePrefix(principal(c))); err != nil {
			return err
		}
		return s.opt.Store.Audit(ctx, tx, auditBase(c, "system.revoke", "system", strconv.FormatInt(id, 10)))
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// scopePrefix is the unit code prefix of a principal's scope ("" everywhere).
func scopePrefix(p auth.Principal) string {
	if p.Unit == "" {
		return ""
	}
	return p.Unit[:unit.PrefixLen(p.Unit)]
}

// mayReadChanges lets a system key (Bearer wgs_…) or a login read the feed.
// A system reads as a leader of its unit would (no personal fields, no
// writes), limited to its types.
func (s *Server) mayReadChanges() []echo.MiddlewareFunc {
	session := s.authenticate
	return []echo.MiddlewareFunc{func(next echo.HandlerFunc) echo.HandlerFunc {
		withSession := session(next)
		return func(c echo.Context) error {
			token := bearerToken(c)
			if !strings.HasPrefix(token, systemKeyPrefix) {
				return withSession(c)
			}
			sys, err := s.opt.Store.SystemByKey(c.Request().Context(), auth.TokenHash(token))
			if err != nil {
				return err
			}
			c.Set(principalKey, auth.Principal{UserID: sys.CreatedBy, Username: "system:" + sys.Name, Role: auth.Leader, Unit: sys.Unit})
			c.Set(systemCtxKey, sys)
			return next(c)
		}
	}, s.require(auth.ReadIncidents)}
}
