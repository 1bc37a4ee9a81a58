package api

import (
	"net/http"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/store"
)

// ownerFilter is whose keys a principal lists and revokes: their own, an
// admin's anyone's (0).
func ownerFilter(p auth.Principal) int64 {
	if p.Role == auth.Admin {
		return 0
	}
	return p.UserID
}

// createMapKey answers POST /api/map-keys {"name"}: the secret is in this
// answer only; the database keeps its hash.
func (s *Server) createMapKey(c echo.Context) error {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	name, err := incidents.CleanText("name", body.Name, 100)
	if err != nil {
		return err
	}
	if name == "" {
		return apperr.New(apperr.ErrInvalid, "name: say what the key is for (e.g. \"QGIS on my desk\")")
	}
	secret, hash, err := auth.NewToken()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var k store.MapKey
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if k, err = s.opt.Store.CreateMapKey(ctx, tx, principal(c).UserID, name, hash); err != nil {
			return err
		}
		return s.opt.Store.Audit(ctx, tx, auditBase(c, "map_key.create", "map_key", strconv.FormatInt(k.ID, 10)))
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"key": k, "secret": secret})
}

// listMapKeys answers GET /api/map-keys (never the secrets).
func (s *Server) listMapKeys(c echo.Context) error {
	keys, err := s.opt.Store.MapKeys(c.Request().Context(), ownerFilter(principal(c)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"keys": keys})
}

// revokeMapKey answers DELETE /api/map-keys/{id}; the key stops working at
// once on this instance (others: within the session cache's seconds).
func (s *Server) revokeMapKey(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "key id %q: not a number", c.Param("id"))
	}
	ctx := c.Request().Context()
	var hash []byte
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		if hash, err = s.opt.Store.RevokeMapKey(ctx, tx, id, ownerFilter(principal(c))); err != nil {
			return err
		}
		return s.opt.Store.Audit(ctx, tx, auditBase(c, "map_key.revoke", "map_key", c.Param("id")))
	})
	if err != nil {
		return err
	}
	s.sessions.drop(mapKeyCacheKey(hash))
	return c.NoContent(http.StatusNoContent)
}
