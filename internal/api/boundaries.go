package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"wangge/geo/coverage"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/boundary"
	"wangge/internal/grid"
	"wangge/internal/unit"
)

// editor is the boundary service over the server's store.
func (s *Server) editor() *boundary.Service { return boundary.New(s.opt.Store, boundary.Options{}) }

// readBody reads the raw request body (kept for the idempotency store) and
// decodes it strictly into v.
func readBody(c echo.Context, v any) ([]byte, error) {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return nil, apperr.New(apperr.ErrTooLarge, "request body too large")
		}
		return nil, apperr.New(apperr.ErrInvalid, "request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, apperr.New(apperr.ErrInvalid, "request body has data after the JSON value")
	}
	return raw, nil
}

// editRequest reads mode, gaps and dry_run and fills who/why.
func editRequest(c echo.Context, action, code, reason string, body []byte) (boundary.Request, error) {
	q := c.QueryParams()
	mode, err := boundary.ParseMode(q.Get("mode"))
	if err != nil {
		return boundary.Request{}, err
	}
	r := boundary.Request{Mode: mode, Reason: reason, Audit: auditBase(c, action, "grid", code),
		IdempotencyKey: c.Request().Header.Get("Idempotency-Key"), Body: append([]byte(c.Request().Method+" "+c.Request().URL.String()+"\n"), body...)}
	switch v := q.Get("dry_run"); v {
	case "", "false", "0":
	case "true", "1":
		r.DryRun = true
	default:
		return r, apperr.New(apperr.ErrInvalid, "dry_run %q: want true or false", v)
	}
	switch v := q.Get("gaps"); v {
	case "", "assign":
	case "report":
		r.ReportGaps = true
	default:
		return r, apperr.New(apperr.ErrInvalid, "gaps %q: want assign or report", v)
	}
	p := principal(c)
	r.Allow = func(unit string) bool { return p.Can(auth.EditBoundaries, unit) }
	return r, nil
}

// editableGrid is the route's grid code, once the principal may edit it.
func editableGrid(c echo.Context) (string, error) {
	code := c.Param("code")
	if !unit.IsGridCode(code) {
		return "", apperr.New(apperr.ErrInvalid, "code %q: want a 15-digit grid code", code)
	}
	return code, authorize(c, auth.EditBoundaries, code)
}

// versionParam is the required ?version= of the grid edited.
func versionParam(c echo.Context) (int, error) {
	v := c.QueryParam("version")
	if v == "" {
		return 0, apperr.New(apperr.ErrInvalid, "version: required (the grid's version you edited)")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, apperr.New(apperr.ErrInvalid, "version %q: want a positive integer", v)
	}
	return n, nil
}

// writeEdit answers a grid edit (held until the readers caught up:
// mayEdit).
func (s *Server) writeEdit(c echo.Context, body []byte, err error) error {
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, body)
}

// withWarnings adds "warnings" (a FeatureCollection, e.g. the repeated
// vertices the edit dropped) to an edit's JSON answer; none: body as is.
func withWarnings(body []byte, warns []coverage.Defect) []byte {
	if len(warns) == 0 || len(body) == 0 {
		return body
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	m["warnings"], _ = json.Marshal(grid.FeatureCollection(grid.FromCoverage(warns, nil, nil, "")))
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

// replaceGrid answers PUT /api/grids/{code}?mode=strict|adjust&dry_run=&gaps=
// with body {"geometry", "version", "reason"}.
func (s *Server) replaceGrid(c echo.Context) error {
	code, err := editableGrid(c)
	if err != nil {
		return err
	}
	var in struct {
		Geometry json.RawMessage `json:"geometry"`
		Version  int             `json:"version"`
		Reason   string          `json:"reason"`
	}
	raw, err := readBody(c, &in)
	if err != nil {
		return err
	}
	g, warns, err := boundary.ParsePolygonWarn(c.Request().Context(), in.Geometry, 0)
	if err != nil {
		return err
	}
	req, err := editRequest(c, "grid.replace", code, in.Reason, raw)
	if err != nil {
		return err
	}
	out, err := s.editor().Replace(c.Request().Context(), code, g, in.Version, req)
	return s.writeEdit(c, withWarnings(out, warns), err)
}

// createGrid answers POST /api/grids with {"parent", "name", "kind", "geometry", "reason"}.
func (s *Server) createGrid(c echo.Context) error {
	var in struct {
		Parent   string          `json:"parent"`
		Name     string          `json:"name"`
		Kind     string          `json:"kind"`
		Geometry json.RawMessage `json:"geometry"`
		Reason   string          `json:"reason"`
	}
	raw, err := readBody(c, &in)
	if err != nil {
		return err
	}
	if !unit.IsCommunityCode(in.Parent) {
		return apperr.New(apperr.ErrInvalid, "parent %q: want a 12-digit community code", in.Parent)
	}
	if err := authorize(c, auth.EditBoundaries, in.Parent); err != nil {
		return err
	}
	g, warns, err := boundary.ParsePolygonWarn(c.Request().Context(), in.Geometry, 0)
	if err != nil {
		return err
	}
	req, err := editRequest(c, "grid.create", in.Parent, in.Reason, raw)
	if err != nil {
		return err
	}
	out, err := s.editor().Create(c.Request().Context(), in.Parent, in.Name, in.Kind, g, req)
	return s.writeEdit(c, withWarnings(out, warns), err)
}

// deleteGrid answers DELETE /api/grids/{code}?mode=&version=&reason=.
func (s *Server) deleteGrid(c echo.Context) error {
	code, err := editableGrid(c)
	if err != nil {
		return err
	}
	version, err := versionParam(c)
	if err != nil {
		return err
	}
	req, err := editRequest(c, "grid.delete", code, c.QueryParam("reason"), nil)
	if err != nil {
		return err
	}
	out, err := s.editor().Delete(c.Request().Context(), code, version, req)
	return s.writeEdit(c, out, err)
}

// splitGrid answers POST /api/grids/{code}/split with {"line", "names", "version", "reason"}.
func (s *Server) splitGrid(c echo.Context) error {
	code, err := editableGrid(c)
	if err != nil {
		return err
	}
	var in struct {
		Line    json.RawMessage `json:"line"`
		Names   []string        `json:"names"`
		Version int             `json:"version"`
		Reason  string          `json:"reason"`
	}
	raw, err := readBody(c, &in)
	if err != nil {
		return err
	}
	g, err := geojson.UnmarshalGeometry(in.Line)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "line: not GeoJSON: %v", err)
	}
	line, ok := g.Geometry().(orb.LineString)
	if !ok {
		return apperr.New(apperr.ErrInvalid, "line: %s, want a LineString", g.Type)
	}
	req, err := editRequest(c, "grid.split", code, in.Reason, raw)
	if err != nil {
		return err
	}
	out, err := s.editor().Split(c.Request().Context(), code, line, in.Names, in.Version, req)
	return s.writeEdit(c, out, err)
}

// mergeGrids answers POST /api/grids/merge with {"codes", "versions" (one
// per code), "name", "reason"}.
func (s *Server) mergeGrids(c echo.Context) error {
	var in struct {
		Codes    []string `json:"codes"`
		Versions []int    `json:"versions"`
		Name     string   `json:"name"`
		Reason   string   `json:"reason"`
	}
	raw, err := readBody(c, &in)
	if err != nil {
		return err
	}
	for _, code := range in.Codes {
		if !unit.IsGridCode(code) {
			return apperr.New(apperr.ErrInvalid, "codes: %q is not a 15-digit grid code", code)
		}
		if err := authorize(c, auth.EditBoundaries, code); err != nil {
			return err
		}
	}
	req, err := editRequest(c, "grid.merge", "", in.Reason, raw)
	if err != nil {
		return err
	}
	out, err := s.editor().Merge(c.Request().Context(), in.Codes, in.Versions, in.Name, req)
	return s.writeEdit(c, out, err)
}

// validation answers GET /api/validation?parent=CODE&min_area= with the SQL
// coverage validator's defects below the unit, as GeoJSON.
func (s *Server) validation(c echo.Context) error {
	parent := c.QueryParam("parent")
	if !unit.IsUnitCode(parent) {
		return apperr.New(apperr.ErrInvalid, "parent %q: want a unit code", parent)
	}
	p := principal(c)
	if !p.Can(auth.ReadMap, parent) && !p.Can(auth.EditBoundaries, parent) {
		return apperr.New(apperr.ErrForbidden, "%s %s may not read unit %s", p.Role, p.Username, parent)
	}
	minArea := 1.0
	if v := c.QueryParam("min_area"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return apperr.New(apperr.ErrInvalid, "min_area %q: want square metres ≥ 0", v)
		}
		minArea = f
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/geo+json")
	return s.opt.Store.StreamDefects(c.Request().Context(), parent, minArea, &lazyWriter{c: c})
}

// checkGrid answers POST /api/grids/{code}/check with {"geometry"}: the live
// check while a planner drags a vertex — the defects the shape would have
// against its community's grids as the map holds them, without the database
// (boundary.Preview). Nothing is written; a save checks again.
func (s *Server) checkGrid(c echo.Context) error {
	code, err := editableGrid(c)
	if err != nil {
		return err
	}
	var in struct {
		Geometry json.RawMessage `json:"geometry"`
	}
	if _, err := readBody(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, err := boundary.ParsePolygon(ctx, in.Geometry, 0)
	if err != nil {
		return err
	}
	around, ok, err := s.opt.Map.CommunityOf(ctx, code)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.ErrNotFound, "grid %s not found", code)
	}
	ds, err := s.editor().Preview(ctx, code, g, around)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": code, "community": around.Code, "defects": grid.FeatureCollection(ds)})
}
