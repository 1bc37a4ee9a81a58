package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/auth"
	"wangge/internal/gazetteer"
	"wangge/internal/incidents"
	"wangge/internal/store"
)

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2): the category
// catalogue as services, cases as service requests. Answers are JSON or XML
// by the path's extension, errors the specification's array of
// {code, description}. Every request names an api_key issued per client
// system: the specification asks it for POST; wangge asks it for reading
// requests too, and scopes a key to its region, because case descriptions
// may name residents.
func (s *Server) open311Routes() {
	g := s.echo.Group("/open311/v2")
	g.GET("/services.:fmt", s.o311Services)
	g.GET("/services/:code", s.o311Service)
	g.POST("/requests.:fmt", s.o311Post)
	g.GET("/requests.:fmt", s.o311List)
	g.GET("/requests/:id", s.o311Get)
	g.GET("/tokens/:token", s.o311Token)
}

type o311Service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type o311Request struct {
	XMLName           xml.Name   `json:"-" xml:"request"`
	ServiceRequestID  string     `json:"service_request_id" xml:"service_request_id"`
	Status            string     `json:"status" xml:"status"`
	StatusNotes       string     `json:"status_notes" xml:"status_notes"`
	ServiceName       string     `json:"service_name" xml:"service_name"`
	ServiceCode       string     `json:"service_code" xml:"service_code"`
	Description       string     `json:"description" xml:"description"`
	AgencyResponsible string     `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string     `json:"service_notice" xml:"service_notice"`
	RequestedDatetime time.Time  `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   time.Time  `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  *time.Time `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           string     `json:"address" xml:"address"`
	AddressID         string     `json:"address_id" xml:"address_id"`
	Zipcode           string     `json:"zipcode" xml:"zipcode"`
	Lat               float64    `json:"lat" xml:"lat"`
	Long              float64    `json:"long" xml:"long"`
	MediaURL          string     `json:"media_url" xml:"media_url"`
}

type o311Created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        string   `json:"account_id" xml:"account_id"`
}

type o311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// o311Format splits "name.json" / "name.xml"; ok false for other endings.
func o311Format(s string) (name, format string, ok bool) {
	for _, f := range []string{"json", "xml"} {
		if n, found := strings.CutSuffix(s, "."+f); found {
			return n, f, true
		}
	}
	return s, "", false
}

// o311Write answers v (a slice) as a JSON array or an XML list named root.
func o311Write(c echo.Context, format, root string, status int, v any) error {
	if format == "xml" {
		b, err := xml.Marshal(struct {
			XMLName xml.Name
			Items   any
		}{XMLName: xml.Name{Local: root}, Items: v})
		if err != nil {
			return err
		}
		return c.Blob(status, "text/xml; charset=utf-8", append([]byte(xml.Header), b...))
	}
	return c.JSON(status, v)
}

// o311Fail answers err in the specification's error format.
func o311Fail(c echo.Context, format string, err error) error {
	status, _ := apperr.Status(err)
	msg := err.Error()
	if status >= 500 {
		if store.Unavailable(err) || errors.Is(err, apperr.ErrUnavailable) {
			status, msg = http.StatusServiceUnavailable, "temporarily unavailable; retry"
		} else {
			s := status
			c.Logger().Error(err)
			status, msg = s, "internal error"
		}
	}
	if format == "" {
		format = "json"
	}
	return o311Write(c, format, "errors", status, []o311Error{{Code: status, Description: msg}})
}

func (s *Server) o311Key(c echo.Context) (store.Open311Key, error) {
	key := c.FormValue("api_key")
	if key == "" {
		return store.Open311Key{}, apperr.New(apperr.ErrForbidden, "api_key is required")
	}
	return s.opt.Store.Open311KeyBySecret(c.Request().Context(), key)
}

func (s *Server) o311Catalogue(c echo.Context) ([]o311Service, map[string]string, error) {
	cats, err := s.opt.Store.IncidentCategories(c.Request().Context())
	if err != nil {
		return nil, nil, err
	}
	names := map[string]string{}
	for _, k := range cats {
		names[k.Code] = k.NameZh
	}
	var out []o311Service
	for _, k := range cats {
		if k.ParentCode == nil || !k.Active {
			continue // groups are not requestable
		}
		out = append(out, o311Service{ServiceCode: k.Code, ServiceName: k.NameZh + " " + k.NameEn,
			Description: k.NameEn + " (" + k.Department + ")", Type: "realtime", Keywords: k.NameEn,
			Group: names[*k.ParentCode]})
	}
	return out, names, nil
}

// o311Services answers GET /open311/v2/services.{json,xml}.
func (s *Server) o311Services(c echo.Context) error {
	if c.Param("fmt") != "json" && c.Param("fmt") != "xml" {
		return o311Fail(c, "json", apperr.New(apperr.ErrNotFound, "want services.json or services.xml"))
	}
	list, _, err := s.o311Catalogue(c)
	if err != nil {
		return o311Fail(c, c.Param("fmt"), err)
	}
	return o311Write(c, c.Param("fmt"), "services", http.StatusOK, list)
}

// o311Service answers GET /open311/v2/services/{code}.{json,xml}: the
// definition; wangge's services ask no extra attributes.
func (s *Server) o311Service(c echo.Context) error {
	code, format, ok := o311Format(c.Param("code"))
	if !ok {
		return o311Fail(c, "json", apperr.New(apperr.ErrNotFound, "want services/{code}.json or .xml"))
	}
	list, _, err := s.o311Catalogue(c)
	if err != nil {
		return o311Fail(c, format, err)
	}
	for _, sv := range list {
		if sv.ServiceCode == code {
			def := struct {
				XMLName     xml.Name `json:"-" xml:"service_definition"`
				ServiceCode string   `json:"service_code" xml:"service_code"`
				Attributes  []any    `json:"attributes" xml:"attributes"`
			}{ServiceCode: code, Attributes: []any{}}
			if format == "xml" {
				b, _ := xml.Marshal(def)
				return c.Blob(http.StatusOK, "text/xml; charset=utf-8", append([]byte(xml.Header), b...))
			}
			return c.JSON(http.StatusOK, def)
		}
	}
	return o311Fail(c, format, apperr.New(apperr.ErrNotFound, "service_code %q not found", code))
}

func o311Status(state string) string {
	if state == incidents.Closed || state == incidents.Invalid {
		return "closed"
	}
	return "open"
}

func o311FromIncident(x store.Incident, names map[string]string) o311Request {
	r := o311Request{ServiceRequestID: strconv.FormatInt(x.Seq, 10), Status: o311Status(x.State),
		StatusNotes: x.State, ServiceName: names[x.Category], ServiceCode: x.Category, Description: x.Description,
		AgencyResponsible: x.DispatchedTo, RequestedDatetime: x.ReportedAt, UpdatedDatetime: x.UpdatedAt,
		ExpectedDatetime: x.DueAt, Address: x.Address, Lat: x.Lat, Long: x.Lon, MediaURL: x.MediaURL}
	return r
}

// o311Post answers POST /open311/v2/requests.{json,xml} (form-encoded):
// api_key, service_code, lat+long or address_string, description, media_url.
// Personal fields (email, name, phone) are not stored: the case needs none.
func (s *Server) o311Post(c echo.Context) error {
	format := c.Param("fmt")
	if format != "json" && format != "xml" {
		return o311Fail(c, "json", apperr.New(apperr.ErrNotFound, "want requests.json or requests.xml"))
	}
	key, err := s.o311Key(c)
	if err != nil {
		return o311Fail(c, format, err)
	}
	ctx := c.Request().Context()
	code := c.FormValue("service_code")
	if code == "" {
		return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "service_code missing"))
	}
	r := incidents.Report{ID: newUUID(), Category: code, Description: c.FormValue("description"),
		Address: c.FormValue("address_string"), MediaURL: c.FormValue("media_url")}
	if len(r.MediaURL) > 2000 || (r.MediaURL != "" && !strings.HasPrefix(r.MediaURL, "http://") && !strings.HasPrefix(r.MediaURL, "https://")) {
		return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "media_url must be an http(s) URL"))
	}
	if lat, lon := c.FormValue("lat"), c.FormValue("long"); lat != "" || lon != "" {
		y, err1 := strconv.ParseFloat(lat, 64)
		x, err2 := strconv.ParseFloat(lon, 64)
		if err1 != nil || err2 != nil {
			return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "lat %q, long %q: want decimal degrees (WGS 84)", lat, lon))
		}
		r.Lat, r.Lon = &y, &x
	} else if r.Address != "" {
		clean, err := incidents.CleanText("address_string", r.Address, 500)
		if err != nil {
			return o311Fail(c, format, err)
		}
		hits, err := gazetteer.Searcher{Store: s.opt.Store}.Search(ctx, clean, 1)
		if err != nil {
			return o311Fail(c, format, err)
		}
		if len(hits) == 0 {
			return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "address_string %q: no such address; send lat and long", clean))
		}
		r.Lat, r.Lon = &hits[0].Lat, &hits[0].Lon
	} else {
		return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "a location is required: lat and long, or address_string"))
	}
	if r.Description == "" {
		r.Description = r.Address
	}
	now := time.Now()
	if s.opt.Clock != nil {
		now = s.opt.Clock()
	}
	r.ReportedAt = &now
	p := auth.Principal{Username: "open311:" + key.Name, Role: "open311", Unit: key.Region + "000000"}
	e := auditBase(c, "incident.report", "incident", r.ID)
	e.Username, e.Role, e.Reason = p.Username, "open311", "Open311 key "+strconv.FormatInt(key.ID, 10)
	x, _, err := s.incidentService().Submit(ctx, p, r, "open311", &key.ID, e)
	if err != nil {
		return o311Fail(c, format, err)
	}
	return o311Write(c, format, "service_requests", http.StatusCreated, []o311Created{{ServiceRequestID: strconv.FormatInt(x.Seq, 10)}})
}

// o311List answers GET /open311/v2/requests.{json,xml}?service_request_id=&service_code=&start_date=&end_date=&status=
// as the specification gives it: by default the last 90 days, at most 1000.
func (s *Server) o311List(c echo.Context) error {
	format := c.Param("fmt")
	if format != "json" && format != "xml" {
		return o311Fail(c, "json", apperr.New(apperr.ErrNotFound, "want requests.json or requests.xml"))
	}
	key, err := s.o311Key(c)
	if err != nil {
		return o311Fail(c, format, err)
	}
	f := store.Open311Filter{Region: key.Region, ServiceCode: c.QueryParam("service_code"), End: time.Now().Add(time.Minute), Limit: 1000}
	if v := c.QueryParam("service_request_id"); v != "" {
		for _, id := range strings.Split(v, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
			if err != nil {
				return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "service_request_id %q: not an id", id))
			}
			f.Seqs = append(f.Seqs, n)
		}
		if len(f.Seqs) > 1000 {
			return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "at most 1000 service_request_id"))
		}
	}
	if v := c.QueryParam("end_date"); v != "" {
		if f.End, err = time.Parse(time.RFC3339, v); err != nil {
			return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "end_date %q: want a W3C date-time", v))
		}
	}
	f.Start = f.End.Add(-90 * 24 * time.Hour)
	if v := c.QueryParam("start_date"); v != "" {
		if f.Start, err = time.Parse(time.RFC3339, v); err != nil {
			return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "start_date %q: want a W3C date-time", v))
		}
	}
	if f.Seqs != nil { // ids given: the other filters are ignored, as the specification says
		f.ServiceCode, f.Start, f.End = "", time.Time{}, time.Now().AddDate(100, 0, 0)
	}
	switch v := c.QueryParam("status"); v {
	case "":
	case "open", "closed":
		b := v == "open"
		f.Open = &b
	default:
		return o311Fail(c, format, apperr.New(apperr.ErrInvalid, "status %q: want open or closed", v))
	}
	list, err := s.opt.Store.Open311Requests(c.Request().Context(), f)
	if err != nil {
		return o311Fail(c, format, err)
	}
	_, names, err := s.o311Catalogue(c)
	if err != nil {
		return o311Fail(c, format, err)
	}
	out := make([]o311Request, len(list))
	for i, x := range list {
		out[i] = o311FromIncident(x, names)
	}
	return o311Write(c, format, "service_requests", http.StatusOK, out)
}

// o311One reads the path parameter param ({param}.json or .xml under path,
// e.g. "requests/{id}") and the request it names, within the key's region;
// what names it in the not-found error. A nil request means the answer
// (an Open311 error) is written: return err.
func (s *Server) o311One(c echo.Context, param, path, what string) (id, format string, x *store.Incident, err error) {
	id, format, ok := o311Format(c.Param(param))
	if !ok {
		return "", "", nil, o311Fail(c, "json", apperr.New(apperr.ErrNotFound, "want %s.json or .xml", path))
	}
	key, err := s.o311Key(c)
	if err != nil {
		return "", "", nil, o311Fail(c, format, err)
	}
	seq, err := strconv.ParseInt(id, 10, 64)
	var list []store.Incident
	if err == nil {
		list, err = s.opt.Store.Open311Requests(c.Request().Context(), store.Open311Filter{Region: key.Region,
			Seqs: []int64{seq}, End: time.Now().AddDate(100, 0, 0), Limit: 1})
		if err != nil {
			return "", "", nil, o311Fail(c, format, err)
		}
	}
	if len(list) == 0 {
		return "", "", nil, o311Fail(c, format, apperr.New(apperr.ErrNotFound, "%s %q not found", what, id))
	}
	return id, format, &list[0], nil
}

// o311Get answers GET /open311/v2/requests/{id}.{json,xml}.
func (s *Server) o311Get(c echo.Context) error {
	_, format, x, err := s.o311One(c, "id", "requests/{id}", "service_request_id")
	if x == nil {
		return err
	}
	_, names, err := s.o311Catalogue(c)
	if err != nil {
		return o311Fail(c, format, err)
	}
	return o311Write(c, format, "service_requests", http.StatusOK, []o311Request{o311FromIncident(*x, names)})
}

// o311Token answers GET /open311/v2/tokens/{token}.{json,xml}. Requests are
// created synchronously here, so the token of a request is its id.
func (s *Server) o311Token(c echo.Context) error {
	tok, format, x, err := s.o311One(c, "token", "tokens/{token}", "token")
	if x == nil {
		return err
	}
	type token struct {
		XMLName          xml.Name `json:"-" xml:"request"`
		ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
		Token            string   `json:"token" xml:"token"`
	}
	return o311Write(c, format, "service_requests", http.StatusOK, []token{{ServiceRequestID: tok, Token: tok}})
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// createOpen311Key answers POST /api/open311/keys {"name", "region"}: the
// secret is in this answer only; the database keeps its hash.
func (s *Server) createOpen311Key(c echo.Context) error {
	var body struct {
		Name   string `json:"name"`
		Region string `json:"region"`
	}
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	name, err := incidents.CleanText("name", body.Name, 100)
	if err != nil {
		return err
	}
	if name == "" || len(body.Region) != 6 || strings.Trim(body.Region, "0123456789") != "" {
		return apperr.New(apperr.ErrInvalid, "want name and region (6 digits)")
	}
	secret := strings.ReplaceAll(newUUID()+newUUID(), "-", "")
	ctx := c.Request().Context()
	var k store.Open311Key
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if k, err = s.opt.Store.CreateOpen311Key(ctx, tx, name, body.Region, secret, principal(c).UserID); err != nil {
			return err
		}
		return s.opt.Store.Audit(ctx, tx, auditBase(c, "open311.key_create", "open311_key", strconv.FormatInt(k.ID, 10)))
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"key": k, "api_key": secret})
}

// revokeOpen311Key answers DELETE /api/open311/keys/{id}.
func (s *Server) revokeOpen311Key(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apperr.New(apperr.ErrInvalid, "key id %q: not a number", c.Param("id"))
	}
	ctx := c.Request().Context()
	err = s.opt.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := s.opt.Store.RevokeOpen311Key(ctx, tx, id); err != nil {
			return err
		}
		return s.opt.Store.Audit(ctx, tx, auditBase(c, "open311.key_revoke", "open311_key", c.Param("id")))
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
