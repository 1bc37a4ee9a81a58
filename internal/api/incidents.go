package api

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/incidents"
	"wangge/internal/media"
	"wangge/internal/store"
	"wangge/internal/unit"
)

func (s *Server) incidentService() *incidents.Service {
	return &incidents.Service{Store: s.opt.Store, Now: s.opt.Clock}
}

// incidentRoutes registers the incident workflow, photos and Open311 (issue #13).
func (s *Server) incidentRoutes(api *echo.Group) {
	api.GET("/incidents/categories", s.incidentCategories, s.may(auth.ReadIncidents)...)
	api.GET("/incidents/stats", s.incidentStats, s.may(auth.ReadStats)...)
	api.GET("/incidents", s.listIncidents, s.may(auth.ReadIncidents)...)
	api.POST("/incidents", s.reportIncident, s.may(auth.WriteIncidents)...)
	api.POST("/incidents/batch", s.reportIncidentBatch, s.may(auth.WriteIncidents)...)
	api.GET("/incidents/:id", s.getIncident, s.may(auth.ReadIncidents)...)
	api.POST("/incidents/:id/transitions", s.moveIncident, s.may(auth.ReadIncidents)...)
	api.POST("/incidents/:id/photos", s.attachIncidentPhotos, s.may(auth.WriteIncidents)...)
	api.GET("/incidents/tiles/:z/:x/:y", s.incidentTile, s.may(auth.ReadIncidents)...)
	api.POST("/incidents/:id/extensions", s.requestExtension, s.may(auth.WriteIncidents)...)
	api.GET("/incidents/extensions", s.listExtensions, s.may(auth.ReadIncidents)...)
	api.POST("/incidents/extensions/:rid/decision", s.decideExtension, s.may(auth.ReadIncidents)...)
	api.POST("/incidents/calendar", s.setCalendarDay, s.may(auth.ManageUsers)...)
	api.POST("/media", s.uploadMedia, s.may(auth.WriteIncidents)...)
	api.GET("/media/:id", s.getMedia, s.may(auth.ReadIncidents)...)
	api.GET("/media/:id/thumb", s.getMedia, s.may(auth.ReadIncidents)...)
	api.POST("/open311/keys", s.createOpen311Key, s.may(auth.ManageUsers)...)
	api.DELETE("/open311/keys/:id", s.revokeOpen311Key, s.may(auth.ManageUsers)...)
	s.open311Routes()
}

// incidentCategories answers GET /api/incidents/categories: the catalogue.
func (s *Server) incidentCategories(c echo.Context) error {
	cats, err := s.opt.Store.IncidentCategories(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"categories": cats})
}

// reportIncident answers POST /api/incidents: 201 with the new case, 200
// with the stored one for a retry, 409 for another body under the same id.
func (s *Server) reportIncident(c echo.Context) error {
	var r incidents.Report
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	x, created, err := s.incidentService().Submit(c.Request().Context(), principal(c), r, "field", nil,
		auditBase(c, "incident.report", "incident", r.ID))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, x)
}

// reportIncidentBatch answers POST /api/incidents/batch {"reports": [up to
// incidents.MaxBatch bodies of POST /api/incidents]}: 200 with one result per report, in
// the order sent (201, 200, 409 or the 4xx of the single route, with its
// error); the good reports are stored in one transaction, the bad ones not.
func (s *Server) reportIncidentBatch(c echo.Context) error {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, incidents.MaxBatchBytes)
	var body struct {
		Reports []json.RawMessage `json:"reports"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	res, err := s.incidentService().SubmitBatch(c.Request().Context(), principal(c), body.Reports, "field",
		auditBase(c, "incident.report", "incident", ""))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"results": res})
}

// listIncidents answers GET /api/incidents?grid=&state=&category=&type=&overdue=&level=&from=&to=&bbox=&before=&limit=
// newest first, scoped to the caller's units (and the cases they reported);
// "next" is the cursor of the following page.
func (s *Server) listIncidents(c echo.Context) error {
	q := c.QueryParams()
	p := principal(c)
	f, err := incidentFilter(c)
	if err != nil {
		return err
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–500", v)
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		at, seq, ok := strings.Cut(v, "_")
		t, err1 := time.Parse(time.RFC3339Nano, at)
		n, err2 := strconv.ParseInt(seq, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return apperr.New(apperr.ErrInvalid, "before %q: use the next cursor of the previous page", v)
		}
		f.Before, f.BeforeSeq = &t, n
	}
	list, err := s.opt.Store.ListIncidents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	// The moves the caller may make on each case: the buttons a client shows.
	actions := make(map[string][]string, len(list))
	for _, x := range list {
		actions[x.ID] = incidents.Allowed(p, x)
	}
	resp := map[string]any{"incidents": list, "actions": actions}
	if len(list) == f.Limit {
		last := list[len(list)-1]
		resp["next"] = last.ReportedAt.Format(time.RFC3339Nano) + "_" + strconv.FormatInt(last.Seq, 10)
	}
	return c.JSON(http.StatusOK, resp)
}

// incidentFilter reads the filters shared by the list and the map layer
// (grid, state, category, type, overdue, level, from, to, bbox), scoped to
// the caller's units and the cases they reported.
func incidentFilter(c echo.Context) (store.IncidentFilter, error) {
	q := c.QueryParams()
	p := principal(c)
	f := store.IncidentFilter{Grid: q.Get("grid"), State: q.Get("state"), Category: q.Get("category"),
		Type: q.Get("type"), ReporterOr: p.UserID}
	if p.Unit != "" {
		f.ScopePrefix = p.Unit[:unit.PrefixLen(p.Unit)]
	}
	if f.Grid != "" && !p.Can(auth.ReadIncidents, f.Grid) {
		return f, apperr.New(apperr.ErrForbidden, "grid %s is outside %s's units", f.Grid, p.Username)
	}
	for _, v := range []struct{ name, val string }{{"state", f.State}, {"category", f.Category}, {"type", f.Type}, {"grid", f.Grid}} {
		if _, err := incidents.CleanText(v.name, v.val, 100); err != nil {
			return f, err
		}
	}
	if v := q.Get("overdue"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, apperr.New(apperr.ErrInvalid, "overdue %q: want true or false", v)
		}
		f.Overdue = &b
	}
	if v := q.Get("level"); v != "" {
		found := false
		for n, name := range incidents.LevelNames {
			if name == v && n > 0 {
				f.Level, found = n, true
			}
		}
		if !found {
			return f, apperr.New(apperr.ErrInvalid, "level %q: want grid, community, street or district", v)
		}
	}
	for _, tf := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(tf.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, apperr.New(apperr.ErrInvalid, "%s %q: want an RFC 3339 time", tf.name, v)
			}
			*tf.dst = &t
		}
	}
	if v := q.Get("bbox"); v != "" {
		parts := strings.Split(v, ",")
		var b [4]float64
		ok := len(parts) == 4
		for i := 0; ok && i < 4; i++ {
			var err error
			b[i], err = strconv.ParseFloat(strings.TrimSpace(parts[i]), 64)
			ok = err == nil
		}
		if !ok || b[0] > b[2] || b[1] > b[3] || b[0] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 {
			return f, apperr.New(apperr.ErrInvalid, "bbox %q: want minlon,minlat,maxlon,maxlat (WGS 84)", v)
		}
		f.BBox = &b
	}
	return f, nil
}

// getIncident answers GET /api/incidents/{id}: the case and its whole history.
func (s *Server) getIncident(c echo.Context) error {
	id := strings.ToLower(c.Param("id"))
	if !media.ValidUUID(id) {
		return apperr.New(apperr.ErrInvalid, "id %q is not a UUID", c.Param("id"))
	}
	ctx := c.Request().Context()
	x, err := s.opt.Store.Incident(ctx, nil, id, false)
	if err != nil {
		return err
	}
	if !incidents.Visible(principal(c), x) {
		return apperr.New(apperr.ErrNotFound, "no incident %s", id)
	}
	events, err := s.opt.Store.IncidentEvents(ctx, nil, x.Seq)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"incident": x, "history": events, "actions": incidents.Allowed(principal(c), x),
		"stage": incidents.Stage(incidents.Case{Dispute: strings.HasPrefix(x.Category, "dispute"), State: x.State, Level: x.Level})})
}

// moveIncident answers POST /api/incidents/{id}/transitions {"to", "note", …}.
func (s *Server) moveIncident(c echo.Context) error {
	var t incidents.Transition
	if err := decodeJSON(c, &t); err != nil {
		return err
	}
	x, err := s.incidentService().Move(c.Request().Context(), principal(c), c.Param("id"), t,
		auditBase(c, "incident."+t.To, "incident", c.Param("id")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

// attachIncidentPhotos answers POST /api/incidents/{id}/photos {"photos": [ids]}.
func (s *Server) attachIncidentPhotos(c echo.Context) error {
	var body struct {
		Photos []string `json:"photos"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	x, err := s.incidentService().AttachPhotos(c.Request().Context(), principal(c), c.Param("id"), body.Photos,
		auditBase(c, "incident.photos", "incident", c.Param("id")))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, x)
}

// setCalendarDay answers POST /api/incidents/calendar {"region", "day", "workday", "note"}:
// a holiday or a 调休 workday of a region's (or, with region "000000", every region's) calendar.
func (s *Server) setCalendarDay(c echo.Context) error {
	var body struct {
		Region  string `json:"region"`
		Day     string `json:"day"`
		Workday *bool  `json:"workday"`
		Note    string `json:"note"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	day, err := time.Parse(time.DateOnly, body.Day)
	if err != nil || body.Workday == nil || len(body.Region) != 6 || strings.Trim(body.Region, "0123456789") != "" {
		return apperr.New(apperr.ErrInvalid, "want region (6 digits), day (YYYY-MM-DD) and workday (true/false)")
	}
	note, err := incidents.CleanText("note", body.Note, 200)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := s.opt.Store.SetCalendarDay(ctx, tx, body.Region, day, *body.Workday, note); err != nil {
			return err
		}
		return s.opt.Store.Audit(ctx, tx, auditBase(c, "incident.calendar", "work_calendar", body.Region+":"+body.Day))
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"region": body.Region, "day": body.Day, "workday": *body.Workday})
}

// uploadMedia answers POST /api/media?id=UUID with the photo as the body
// (JPEG or PNG, sniffed); the same id again is a harmless retry.
func (s *Server) uploadMedia(c echo.Context) error {
	p := principal(c)
	data, err := io.ReadAll(io.LimitReader(c.Request().Body, media.MaxBytes+1))
	if err != nil {
		return apperr.New(apperr.ErrTooLarge, "photo upload failed: %v", err)
	}
	region := "000000"
	if len(p.Unit) >= 6 {
		region = p.Unit[:6]
	}
	svc := media.Service{Store: s.opt.Store, Bucket: s.opt.MediaBucket}
	m, created, err := svc.Upload(c.Request().Context(), strings.ToLower(c.QueryParam("id")), region, p.UserID, data)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		e := auditBase(c, "media.upload", "media", m.ID)
		if err := s.opt.Store.Audit(c.Request().Context(), nil, e); err != nil {
			return err
		}
	}
	return c.JSON(status, m)
}

// getMedia answers GET /api/media/{id} and /api/media/{id}/thumb for the
// uploader and for users who may read a case it is attached to.
func (s *Server) getMedia(c echo.Context) error {
	id := strings.ToLower(c.Param("id"))
	if !media.ValidUUID(id) {
		return apperr.New(apperr.ErrInvalid, "id %q is not a UUID", c.Param("id"))
	}
	ctx := c.Request().Context()
	m, units, err := s.opt.Store.MediaInfo(ctx, id)
	if err != nil {
		return err
	}
	p := principal(c)
	ok := m.UploadedBy != nil && *m.UploadedBy == p.UserID
	for _, u := range units {
		ok = ok || (u != "" && p.Can(auth.ReadIncidents, u))
	}
	if !ok {
		return apperr.New(apperr.ErrNotFound, "no photo %s", id)
	}
	thumb := strings.HasSuffix(c.Path(), "/thumb")
	svc := media.Service{Store: s.opt.Store, Bucket: s.opt.MediaBucket}
	rc, size, err := svc.Open(ctx, id, thumb)
	if err != nil {
		return err
	}
	defer rc.Close()
	ct := m.ContentType
	if thumb {
		ct = "image/jpeg"
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=86400, immutable")
	c.Response().Header().Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
	return c.Stream(http.StatusOK, ct, rc)
}
