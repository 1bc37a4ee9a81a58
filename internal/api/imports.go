package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/importer"
	"wangge/internal/store"
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
	sum, err := fileSHA256(fh)
	if err != nil {
		return err
	}
	p := principal(c)
	opt := importer.Options{Format: format, Size: fh.Size, Mapping: mapping, CRS: sys, Scope: p.Unit}
	keys := make([]string, 0, len(mapping))
	for k, v := range mapping {
		keys = append(keys, k+"="+string(v))
	}
	sort.Strings(keys)
	request := fmt.Sprintf("households\x00%s\x00%s\x00%s\x00%s", sum, format, sys, strings.Join(keys, "\x00"))
	ctx := c.Request().Context()
	reply, err := s.opt.Store.Idempotent(ctx, p.UserID, c.Request().Header.Get("Idempotency-Key"), []byte(request),
		func(tx pgx.Tx) (store.Reply, error) {
			f, err := fh.Open()
			if err != nil {
				return store.Reply{}, fmt.Errorf("api: import: %w", err)
			}
			defer f.Close()
			counts, err := importer.Households(ctx, s.opt.Store, tx, f, opt)
			if err != nil {
				return store.Reply{}, err
			}
			e := auditBase(c, "import", "households", sum)
			e.Details, _ = json.Marshal(map[string]any{"format": format, "bytes": fh.Size, "counts": counts})
			if err := s.opt.Store.Audit(ctx, tx, e); err != nil {
				return store.Reply{}, err
			}
			body, err := json.Marshal(map[string]any{"sha256": sum, "counts": counts})
			return store.Reply{Status: http.StatusOK, Body: body}, err
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

func fileSHA256(fh *multipart.FileHeader) (string, error) {
	f, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("api: upload: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("api: upload: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
