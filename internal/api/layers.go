package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/layerio"
)

// importLayer answers POST /api/layers/import (multipart/form-data): file =
// a GeoJSON FeatureCollection or a zipped Shapefile; code_field, name_field,
// kind_field, parent_field map attributes; source_crs (wgs84, cgcs2000,
// gcj02, bd09) says what the coordinates are when the file cannot;
// dry_run=true only checks; reason. Each community named is replaced whole.
func (s *Server) importLayer(c echo.Context) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "file: want a multipart form field \"file\" with the layer")
	}
	f, err := fh.Open()
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "file: %v", err)
	}
	req := layerio.ImportRequest{
		Options: layerio.Options{Mapping: layerio.Mapping{
			Code: c.FormValue("code_field"), Name: c.FormValue("name_field"),
			Kind: c.FormValue("kind_field"), Parent: c.FormValue("parent_field")}},
		Reason: c.FormValue("reason"),
		Audit:  auditBase(c, "layer.import", "unit", ""),
	}
	if v := c.FormValue("source_crs"); v != "" {
		if req.Source, err = crs.Parse(v); err != nil {
			return apperr.New(apperr.ErrInvalid, "source_crs %q: want wgs84, cgcs2000, gcj02 or bd09", v)
		}
	}
	switch v := c.FormValue("dry_run"); v {
	case "", "false", "0":
	case "true", "1":
		req.DryRun = true
	default:
		return apperr.New(apperr.ErrInvalid, "dry_run %q: want true or false", v)
	}
	p := principal(c)
	req.Allow = func(unit string) bool { return p.Can(auth.EditBoundaries, unit) }
	req.IdempotencyKey = c.Request().Header.Get("Idempotency-Key")
	req.Fingerprint = layerFingerprint(c, data)
	out, err := layerio.Import(c.Request().Context(), s.opt.Store, data, req)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, out)
}

// layerFingerprint is what makes two imports the same request: the URL, the
// form values (sorted) and the file's contents.
func layerFingerprint(c echo.Context, data []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", c.Request().Method, c.Request().URL.String())
	form, _ := c.FormParams()
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%q=%q\n", k, form[k])
	}
	h.Write(data)
	return h.Sum(nil)
}

// exportLayer answers GET /api/layers/export?parent=&format=geojson|shapefile.
func (s *Server) exportLayer(c echo.Context) error {
	parent, err := historyParent(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "geojson"
	}
	if format != "geojson" && format != "shapefile" {
		return apperr.New(apperr.ErrInvalid, "format %q: want geojson or shapefile", format)
	}
	gs, err := s.opt.Store.GridsUnder(c.Request().Context(), parent)
	if err != nil {
		return err
	}
	grids := make([]layerio.Grid, len(gs))
	for i, g := range gs {
		grids[i] = layerio.Grid{Code: g.Code, Name: g.Name, Kind: g.Kind, Parent: g.Parent, Geom: g.Geom}
	}
	name := "grids"
	if parent != "" {
		name = "grids_" + parent
	}
	if format == "geojson" {
		b, err := json.Marshal(layerio.GeoJSON(grids))
		if err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.geojson"`)
		return c.Blob(http.StatusOK, "application/geo+json", b)
	}
	var buf bytes.Buffer
	if err := layerio.Shapefile(grids).WriteZip(&buf, name); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+strings.ReplaceAll(name, `"`, "")+`.zip"`)
	return c.Blob(http.StatusOK, "application/zip", buf.Bytes())
}
