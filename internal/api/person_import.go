package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/residents"
)

// importPersons answers POST /api/import/persons: a multipart .csv/.xlsx
// (field "file") checked and stored by residents.Import; any problem gives
// 422 listing every one (row, column, reason) and stores nothing.
func (s *Server) importPersons(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "want a multipart upload with the file in field \"file\"")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	ctx := c.Request().Context()
	p := principal(c)
	grants, err := s.opt.Store.SensitiveGrants(ctx, string(p.Role), p.UserID)
	if err != nil {
		return err
	}
	n, err := residents.Import(ctx, s.opt.Store, residents.ImportRequest{
		Data: f, Filename: fh.Filename, Size: fh.Size,
		Allow:   func(grid string) bool { return grid != "" && p.Can(auth.WritePersons, grid) },
		Granted: func(k string) bool { return grants[k] },
		UserID:  p.UserID, Audit: auditBase(c, "import", "persons", fh.Filename), Now: time.Now(),
	})
	var rej *residents.Rejected
	if errors.As(err, &rej) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{"error": map[string]any{
			"code": "invalid_rows", "message": rej.Error(), "details": rej.Problems}})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"imported": n})
}
