package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/importer"
)

// importHouseholds answers POST /api/import/households: a multipart upload
// (field "file", .csv or .xlsx; optional "mapping" as JSON {"header":"field"}
// or "header=field" lines, optional "crs"). The whole file loads in one
// transaction with its audit entry, or nothing does: bad rows give 422 with
// every problem (row, column, reason) in error.details. Officers may only
// place rows inside their own area. Idempotency-Key makes a retry safe.
func (s *Server) importHouseholds(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "want a multipart upload with the file in field \"file\"")
	}
	format, err := importer.FormatOf(fh.Filename)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "%v", err)
	}
	mapping, err := parseMappingField(c.FormValue("mapping"))
	if err != nil {
		return err
	}
	var sys crs.System
	if v := c.FormValue("crs"); v != "" {
		if sys, err = crs.Parse(v); err != nil {
			return apperr.New(apperr.ErrInvalid, "%v", err)
		}
	}
	p := principal(c)
	reply, err := importer.Run(c.Request().Context(), s.opt.Store, importer.Request{
		Options: importer.Options{Format: format, Size: fh.Size, Mapping: mapping, CRS: sys, Scope: p.Unit},
		Open:    func() (io.ReadCloser, error) { return fh.Open() },
		File:    fh.Filename, Audit: auditBase(c, "import", "households", ""),
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key"),
	})
	var rej *importer.Rejected
	if errors.As(err, &rej) {
		return c.JSON(http.StatusUnprocessableEntity, apperr.Body{Error: apperr.BodyError{
			Code: "invalid_rows", Message: rej.Error(), Details: rej}})
	}
	if err != nil {
		return err
	}
	return c.JSONBlob(reply.Status, reply.Body)
}

// parseMappingField reads the "mapping" form field.
func parseMappingField(v string) (map[string]importer.Field, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	var pairs []string
	if strings.HasPrefix(v, "{") {
		var m map[string]string
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, apperr.New(apperr.ErrInvalid, "mapping: want a JSON object {\"header\": \"field\"}: %v", err)
		}
		for h, f := range m {
			pairs = append(pairs, h+"="+f)
		}
	} else {
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ',' || r == ';' }) {
			if line = strings.TrimSpace(line); line != "" {
				pairs = append(pairs, line)
			}
		}
	}
	m, err := importer.ParseMapping(pairs)
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "%v", err)
	}
	return m, nil
}
