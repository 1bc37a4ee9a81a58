package api

// A jurisdiction of one's own (issue 12): units import and export, unit
// attributes and settings, the grid force, notice boards, contact cards and
// the public card page their QR codes open.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"wangge/geo/crs"
	"wangge/geo/shapefile"
	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/printable"
	"wangge/internal/staff"
	"wangge/internal/store"
	"wangge/internal/unit"
	"wangge/internal/unitio"
)

// Limits of one printing request: boards per PDF, contact cards per PDF.
const (
	maxBoards = 300
	maxCards  = 5000
)

func (s *Server) staffService() *staff.Service { return staff.New(s.opt.Store) }

func formFile(c echo.Context, max int64) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "file: want a multipart form field \"file\"")
	}
	if fh.Size > max {
		return nil, apperr.New(apperr.ErrTooLarge, "file: %d bytes, at most %d", fh.Size, max)
	}
	f, err := fh.Open()
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, apperr.New(apperr.ErrInvalid, "file: %v", err)
	}
	return data, nil
}

func formBool(c echo.Context, name string) (bool, error) {
	switch v := c.FormValue(name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, apperr.New(apperr.ErrInvalid, "%s %q: want true or false", name, v)
	}
}

// importUnits answers POST /api/units/import (multipart): file (GeoJSON or
// zipped Shapefile), map (repeatable SOURCE=FIELD), source_crs, dry_run,
// reason. 200 with the report when loaded or a clean dry run; a refused
// file is 400/422 with the whole report (every defect) as details.
func (s *Server) importUnits(c echo.Context) error {
	data, err := formFile(c, s.opt.BodyLimit)
	if err != nil {
		return err
	}
	form, err := c.MultipartForm()
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "form: %v", err)
	}
	mapping, err := unitio.ParseMapping(form.Value["map"])
	if err != nil {
		return err
	}
	req, err := unitRequest(c, "source_crs", c.FormValue("source_crs"), c.FormValue("reason"), "")
	if err != nil {
		return err
	}
	req.Mapping = mapping
	if req.DryRun, err = formBool(c, "dry_run"); err != nil {
		return err
	}
	rep, err := unitio.Import(c.Request().Context(), s.opt.Store, data, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// replaceUnitGeometry answers PUT /api/units/{code}/geometry {"geometry",
// "name"?, "crs"?, "reason"?, "dry_run"?}: one unit's shape (an estate drawn
// on the map) through the units import's checks and write path; the answer
// is the import's report.
func (s *Server) replaceUnitGeometry(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.EditBoundaries, code); err != nil {
		return err
	}
	var in struct {
		unitio.Shape
		CRS    string `json:"crs"`
		Reason string `json:"reason"`
		DryRun bool   `json:"dry_run"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	req, err := unitRequest(c, "crs", in.CRS, in.Reason, code)
	if err != nil {
		return err
	}
	req.DryRun = in.DryRun
	rep, err := unitio.Replace(c.Request().Context(), s.opt.Store, code, in.Shape, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

// unitRequest is a units import by the caller: its audit entry, the source
// coordinate system named by the field crsField (WGS-84 when empty), and
// the caller's scope for each unit written.
func unitRequest(c echo.Context, crsField, crsName, reason, object string) (unitio.Request, error) {
	req := unitio.Request{Reason: reason, Audit: auditBase(c, "units.import", "unit", object)}
	if crsName != "" {
		var err error
		if req.Source, err = crs.Parse(crsName); err != nil {
			return req, apperr.New(apperr.ErrInvalid, "%s %q: want wgs84, cgcs2000, gcj02 or bd09", crsField, crsName)
		}
	}
	p := principal(c)
	req.Allow = func(code string) bool { return p.Can(auth.EditBoundaries, code) }
	return req, nil
}

// exportUnits answers GET /api/units/export?level=&parent=&format=geojson|shapefile.
func (s *Server) exportUnits(c echo.Context) error {
	level, err := unit.ParseLevel(c.QueryParam("level"))
	if err != nil {
		return err
	}
	parent, err := historyParent(c)
	if err != nil {
		return err
	}
	us, err := s.opt.Store.UnitsAt(c.Request().Context(), level, parent)
	if err != nil {
		return err
	}
	name := "units_" + c.QueryParam("level")
	switch c.QueryParam("format") {
	case "", "geojson":
		fc := map[string]any{"type": "FeatureCollection", "features": []any{}}
		feats := []any{}
		for _, u := range us {
			feats = append(feats, map[string]any{"type": "Feature", "id": u.Code, "geometry": geoJSONGeom(u),
				"properties": map[string]any{"code": u.Code, "name": u.Name, "parent_code": u.Parent, "kind": u.Kind, "level": u.Level}})
		}
		fc["features"] = feats
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.geojson"`)
		return c.JSON(http.StatusOK, fc)
	case "shapefile":
		l := &shapefile.Layer{Fields: []shapefile.Field{{Name: "code", Type: 'C'}, {Name: "name", Type: 'C'}, {Name: "parent_code", Type: 'C'}, {Name: "kind", Type: 'C'}, {Name: "level", Type: 'C'}}}
		for _, u := range us {
			l.Features = append(l.Features, shapefile.Feature{Geometry: u.Geom, Values: []string{u.Code, u.Name, u.Parent, u.Kind, strconv.Itoa(u.Level)}})
		}
		var buf bytes.Buffer
		if err := l.WriteZip(&buf, name); err != nil {
			return err
		}
		c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`.zip"`)
		return c.Blob(http.StatusOK, "application/zip", buf.Bytes())
	}
	return apperr.New(apperr.ErrInvalid, "format %q: want geojson or shapefile", c.QueryParam("format"))
}

func geoJSONGeom(u store.UnitRef) any {
	b, _ := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": u.Geom})
	return json.RawMessage(b)
}

func codeParam(c echo.Context) (string, error) {
	code := c.Param("code")
	if !unit.IsUnitCode(code) {
		return "", apperr.New(apperr.ErrInvalid, "code %q: want a 12-, 15- or 18-digit unit code", code)
	}
	return code, nil
}

// patchUnit answers PATCH /api/units/:code {"name", "kind", "reason"}: a
// rename or change of kind, one new version in the unit's history.
func (s *Server) patchUnit(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.EditBoundaries, code); err != nil {
		return err
	}
	var in struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Reason string `json:"reason"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" && in.Kind == "" {
		return apperr.New(apperr.ErrInvalid, "send name and/or kind")
	}
	if strings.ContainsRune(in.Name, 0) || len([]rune(in.Name)) > 100 {
		return apperr.New(apperr.ErrInvalid, "name: at most 100 characters, no NUL")
	}
	ctx := c.Request().Context()
	var version int
	err = s.opt.Store.Serializable(ctx, func(tx pgx.Tx) error {
		p := principal(c)
		if err := s.opt.Store.SetActor(ctx, tx, p.Username, in.Reason); err != nil {
			return err
		}
		var err error
		if version, err = s.opt.Store.UpdateUnitAttrs(ctx, tx, code, store.UnitAttrs{Name: in.Name, Kind: in.Kind}); err != nil {
			return err
		}
		e := auditBase(c, "unit.attributes", "unit", code)
		e.Reason = in.Reason
		e.Details, _ = json.Marshal(in)
		return s.opt.Store.Audit(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": code, "version": version})
}

// bindJSON decodes a JSON body strictly (unknown fields are errors).
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	return nil
}

// unitSettings answers GET /api/units/:code/settings: own and effective.
func (s *Server) unitSettings(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ReadMap, code); err != nil {
		return err
	}
	ctx := c.Request().Context()
	eff, err := s.opt.Store.EffectiveSettings(ctx, code)
	if err != nil {
		return err
	}
	own, err := s.opt.Store.OwnSettings(ctx, code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": code, "own": own, "effective": eff})
}

// putUnitSettings answers PUT /api/units/:code/settings with the unit's
// own settings (null fields inherit).
func (s *Server) putUnitSettings(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.EditBoundaries, code); err != nil {
		return err
	}
	var in store.Settings
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := s.opt.Store.PutSettings(ctx, tx, code, in, principal(c).Username); err != nil {
			return err
		}
		e := auditBase(c, "unit.settings", "unit", code)
		e.Details, _ = json.Marshal(in)
		return s.opt.Store.Audit(ctx, tx, e)
	})
	if err != nil {
		return err
	}
	return s.unitSettings(c)
}

func idParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.ErrInvalid, "%s %q: want a positive number", name, c.Param(name))
	}
	return id, nil
}

// createStaff answers POST /api/staff; an Idempotency-Key makes retries safe.
func (s *Server) createStaff(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	var in staff.Input
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	ctx := c.Request().Context()
	p := principal(c)
	reply, err := s.opt.Store.Idempotent(ctx, p.UserID, c.Request().Header.Get("Idempotency-Key"), append([]byte("staff\x00"), body...),
		func(tx pgx.Tx) (store.Reply, error) {
			person, err := s.staffService().CreateTx(ctx, tx, in, auditBase(c, "staff.create", "staff", ""))
			if err != nil {
				return store.Reply{}, err
			}
			b, err := json.Marshal(person)
			return store.Reply{Status: http.StatusCreated, Body: b}, err
		})
	if err != nil {
		return err
	}
	return c.JSONBlob(reply.Status, reply.Body)
}

// getStaff answers GET /api/staff/:id.
func (s *Server) getStaff(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.authorizeStaffer(c, id); err != nil {
		return err
	}
	p, err := s.opt.Store.StafferByID(c.Request().Context(), s.opt.Store.Pool(), id, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// updateStaff answers PUT /api/staff/:id with the whole person.
func (s *Server) updateStaff(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.authorizeStaffer(c, id); err != nil {
		return err
	}
	var in staff.Input
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := s.staffService().Update(c.Request().Context(), id, in, auditBase(c, "staff.update", "staff", fmt.Sprint(id)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// retireStaff answers POST /api/staff/:id/retire.
func (s *Server) retireStaff(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.authorizeStaffer(c, id); err != nil {
		return err
	}
	p, err := s.staffService().Retire(c.Request().Context(), id, auditBase(c, "staff.retire", "staff", fmt.Sprint(id)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// putStaffPhoto answers POST /api/staff/:id/photo (multipart "file", JPEG
// or PNG, at most 5 MiB).
func (s *Server) putStaffPhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.authorizeStaffer(c, id); err != nil {
		return err
	}
	data, err := formFile(c, staff.MaxPhotoBytes)
	if err != nil {
		return err
	}
	info, err := s.staffService().PutPhoto(c.Request().Context(), id, data, auditBase(c, "staff.photo", "staff", fmt.Sprint(id)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, info)
}

// getStaffPhoto answers GET /api/staff/:id/photo[?size=thumb].
func (s *Server) getStaffPhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	ph, err := s.opt.Store.PhotoOf(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=60")
	if c.QueryParam("size") == "thumb" {
		return c.Blob(http.StatusOK, "image/jpeg", ph.Thumb)
	}
	return c.Blob(http.StatusOK, ph.ContentType, ph.Data)
}

// staffLeave answers POST /api/staff/:id/leave {"stand_in_id", "from", "to"}.
func (s *Server) staffLeave(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := s.authorizeStaffer(c, id); err != nil {
		return err
	}
	var in staff.LeaveInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	lid, err := s.staffService().Leave(c.Request().Context(), id, in, auditBase(c, "staff.leave", "staff", fmt.Sprint(id)))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": lid})
}

// assignStaff answers POST /api/grids/:code/staff {"staff_id", "role",
// "from", "to", "replaces"}: 201 active, or 202 pending approval.
func (s *Server) assignStaff(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ManageStaff, code); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	var in staff.AssignInput
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apperr.New(apperr.ErrInvalid, "body: %v", err)
	}
	ctx := c.Request().Context()
	p := principal(c)
	reply, err := s.opt.Store.Idempotent(ctx, p.UserID, c.Request().Header.Get("Idempotency-Key"), append([]byte("assign\x00"+code+"\x00"), body...),
		func(tx pgx.Tx) (store.Reply, error) {
			res, err := s.staffService().AssignTx(ctx, tx, code, in, auditBase(c, "staff.assign", "staff", ""))
			if err != nil {
				return store.Reply{}, err
			}
			status := http.StatusCreated
			if res.NeedsApproval {
				status = http.StatusAccepted
			}
			b, err := json.Marshal(res)
			return store.Reply{Status: status, Body: b}, err
		})
	if err != nil {
		return err
	}
	return c.JSONBlob(reply.Status, reply.Body)
}

// gridStaff answers GET /api/grids/:code/staff: the card in force and
// every assignment ever made (history, pending requests included).
func (s *Server) gridStaff(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ReadMap, code); err != nil {
		return err
	}
	ctx := c.Request().Context()
	card, err := s.opt.Store.CardPeople(ctx, code)
	if err != nil {
		return err
	}
	hist, err := s.opt.Store.Assignments(ctx, s.opt.Store.Pool(), code)
	if err != nil {
		return err
	}
	for i := range card {
		card[i].RoleName = printable.RoleNames[card[i].Role]
		card[i].Thumb = nil
	}
	return c.JSON(http.StatusOK, map[string]any{"code": code, "card": card, "history": hist})
}

// decideAssignment answers POST /api/staff-assignments/:id/approve|reject.
func (s *Server) decideAssignment(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		a, err := s.staffService().Decide(c.Request().Context(), id, approve, principal(c), auditBase(c, "staff.decide", "staff", fmt.Sprint(id)))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, a)
	}
}

func paper(c echo.Context) (printable.Size, error) {
	size, err := printable.ParseSize(c.QueryParam("paper"))
	if err != nil {
		return "", apperr.New(apperr.ErrInvalid, "%v", err)
	}
	return size, nil
}

func pdfReply(c echo.Context, name string, buf *bytes.Buffer) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `inline; filename="`+name+`"`)
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

// gridBoard answers GET /api/grids/:code/board.pdf[?paper=a3].
func (s *Server) gridBoard(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ReadMap, code); err != nil {
		return err
	}
	size, err := paper(c)
	if err != nil {
		return err
	}
	b, err := printable.BoardFor(c.Request().Context(), s.opt.Store, code, s.baseURL(c), time.Now())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := printable.Boards(&buf, []printable.Board{b}, size); err != nil {
		return err
	}
	return pdfReply(c, "board_"+code+".pdf", &buf)
}

// unitBoards answers GET /api/units/:code/boards.pdf: every grid's board
// below a unit, one page each.
func (s *Server) unitBoards(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ReadMap, code); err != nil {
		return err
	}
	size, err := paper(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	grids, err := s.opt.Store.GridsBelow(ctx, code, maxBoards)
	if err != nil {
		return err
	}
	if len(grids) == 0 {
		return apperr.New(apperr.ErrNotFound, "no grids below %s", code)
	}
	if len(grids) > maxBoards {
		return apperr.New(apperr.ErrTooLarge, "more than %d grids below %s: print one community at a time", maxBoards, code)
	}
	boards := make([]printable.Board, 0, len(grids))
	for _, g := range grids {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := printable.BoardFor(ctx, s.opt.Store, g, s.baseURL(c), time.Now())
		if err != nil {
			return err
		}
		boards = append(boards, b)
	}
	var buf bytes.Buffer
	if err := printable.Boards(&buf, boards, size); err != nil {
		return err
	}
	return pdfReply(c, "boards_"+code+".pdf", &buf)
}

// contactCards answers GET /api/grids/:code/contact-cards.pdf[?count=N]:
// one card per household of the grid or estate (or N).
func (s *Server) contactCards(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	if err := authorize(c, auth.ReadMap, code); err != nil {
		return err
	}
	card, n, err := printable.CardFor(c.Request().Context(), s.opt.Store, code, s.baseURL(c))
	if err != nil {
		return err
	}
	if v := c.QueryParam("count"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			return apperr.New(apperr.ErrInvalid, "count %q: want a positive number", v)
		}
	}
	if n == 0 {
		return apperr.New(apperr.ErrNotFound, "%s has no households: pass count=N to print N cards", code)
	}
	if n > maxCards {
		return apperr.New(apperr.ErrTooLarge, "%d cards: at most %d per PDF", n, maxCards)
	}
	var buf bytes.Buffer
	if err := printable.Cards(&buf, card, n); err != nil {
		return err
	}
	return pdfReply(c, "cards_"+code+".pdf", &buf)
}

var publicCardPage = template.Must(template.New("card").Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Name}} · 网格服务 Grid service</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem;color:#b41e28;margin-bottom:.2rem}.chain{color:#666}.p{display:flex;gap:.8rem;border-top:1px solid #ddd;padding:.6rem 0}
.p img{width:60px;height:80px;object-fit:cover;background:#eee}.role{color:#b41e28;font-size:.85rem}.name{font-size:1.1rem}
a{color:#0a58ca}</style></head><body>
<h1>{{.Name}}</h1>
<div class="chain">{{range .Chain}}{{.}} · {{end}}网格编码 Code {{.Code}} {{.Kind}}</div>
{{range .Staff}}<div class="p">{{if .HasPhoto}}<img alt="" src="/p/staff/{{.StaffID}}/photo">{{end}}<div>
<div class="role">{{.RoleName}}{{if .StandInFor}}（代 {{.StandInFor}}）{{end}}</div>
<div class="name">{{.Name}} <a href="tel:{{.Phone}}">{{.Phone}}</a></div>
{{if .Post}}<div>{{.Post}}</div>{{end}}{{if .Duties}}<div>分工 Duties: {{.Duties}}</div>{{end}}</div></div>
{{else}}<p>暂无人员 No staff assigned yet.</p>{{end}}
{{if .Supervision}}<p>监督电话 Supervision: <a href="tel:{{.Supervision}}">{{.Supervision}}</a></p>{{end}}
</body></html>`))

// publicCard answers GET /p/grids/:code without login: the grid's public
// card (staff names, posts, duties, work phones, photos), nothing personal.
func (s *Server) publicCard(c echo.Context) error {
	code, err := codeParam(c)
	if err != nil {
		return err
	}
	p, err := printable.PublicCard(c.Request().Context(), s.opt.Store, code)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := publicCardPage.Execute(&buf, p); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// publicPhoto answers GET /p/staff/:id/photo: the thumbnail of someone on a
// public card now.
func (s *Server) publicPhoto(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	b, err := s.opt.Store.PublicThumb(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "image/jpeg", b)
}

// publicLimiter bounds the login-free pages per client address: they are
// printed on boards in the street, and must not become a scraping API.
func publicLimiter(perMinute float64, burst int) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(perMinute / 60), Burst: burst, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return apperr.New(apperr.ErrInvalid, "cannot identify client")
		},
		DenyHandler: func(c echo.Context, id string, err error) error {
			c.Response().Header().Set("Retry-After", "60")
			return apperr.New(apperr.ErrRateLimited, "too many requests from %s; wait a minute", id)
		},
	})
}
