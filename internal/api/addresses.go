package api

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/gazetteer"
)

// searchAddresses answers GET /api/addresses/search?q=&limit= with ranked
// gazetteer candidates: buildings (each once) when q names no unit or room,
// dwellings otherwise. Addresses are map data, not personal data.
func (s *Server) searchAddresses(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if q == "" || utf8.RuneCountInString(q) > 200 {
		return apperr.New(apperr.ErrInvalid, "q: want 1–200 characters of address text")
	}
	limit := 10
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > gazetteer.MaxLimit {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–%d", v, gazetteer.MaxLimit)
		}
		limit = n
	}
	hits, err := gazetteer.Searcher{Store: s.opt.Store}.Search(c.Request().Context(), q, limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"query": q, "normalized": gazetteer.Normalize(q), "results": hits})
}
