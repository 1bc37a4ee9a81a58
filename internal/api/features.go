package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// OGC API – Features Part 1 (Core, GeoJSON) under /ogc, for GIS clients
// (QGIS, GDAL's OAPIF driver). Authentication is the bearer token or session
// cookie of the rest of the API, HTTP Basic, or a map key (?key=, gisauth.go).

const (
	crs84          = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	geoJSONType    = "application/geo+json"
	ogcDefaultPage = 100
	ogcMaxPage     = 10000
)

// ogcCollection declares one collection: unit levels and buildings.
type ogcCollection struct {
	ID, Title, Description string
	Level                  int      // unit level; 0 = buildings
	Filters                []string // equality filters accepted as query parameters
}

var ogcCollections = []ogcCollection{
	{"districts", "Districts 区/县", "Administrative districts", unit.LevelDistrict, []string{"name"}},
	{"streets", "Streets 街道/乡镇", "Streets and townships", unit.LevelStreet, []string{"name", "parent_code"}},
	{"communities", "Communities 社区/村", "Communities and villages", unit.LevelCommunity, []string{"name", "parent_code"}},
	{"grids", "Grids 网格", "Grid cells partitioning each community; kind " + strings.Join(unit.Kinds, ", "), unit.LevelGrid, []string{"kind", "name", "parent_code"}},
	{"buildings", "Buildings 楼栋", "Building footprints with household counts (no personal data)", 0, []string{"grid_code"}},
}

func findCollection(id string) (ogcCollection, error) {
	for _, c := range ogcCollections {
		if c.ID == id {
			return c, nil
		}
	}
	return ogcCollection{}, apperr.New(apperr.ErrNotFound, "no collection %q", id)
}

type ogcLink struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// checkFormat accepts f=json / f=geojson (or none): only JSON is served.
func checkFormat(c echo.Context) error {
	switch c.QueryParam("f") {
	case "", "json", "geojson":
		return nil
	}
	return apperr.New(apperr.ErrInvalid, "f=%s: only json is served", c.QueryParam("f"))
}

// ogcLanding answers GET /ogc.
func (s *Server) ogcLanding(c echo.Context) error {
	if err := checkFormat(c); err != nil {
		return err
	}
	b, k := s.baseURL(c)+"/ogc", keyQuery(c)
	return c.JSON(http.StatusOK, map[string]any{
		"title":       "wangge 网格",
		"description": "Community grid management: administrative units, grids and buildings (OGC API – Features)",
		"links": []ogcLink{
			{Href: b + k, Rel: "self", Type: "application/json", Title: "this document"},
			{Href: b + "/api" + k, Rel: "service-desc", Type: "application/vnd.oai.openapi+json;version=3.0", Title: "API definition"},
			{Href: b + "/conformance" + k, Rel: "conformance", Type: "application/json", Title: "conformance classes"},
			{Href: b + "/collections" + k, Rel: "data", Type: "application/json", Title: "collections"},
		},
	})
}

var conformance = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
}

// ogcConformance answers GET /ogc/conformance.
func (s *Server) ogcConformance(c echo.Context) error {
	if err := checkFormat(c); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"conformsTo": conformance})
}

// collectionDoc describes a collection; the extent comes from the map layer
// of the same name (kept current by mapdata).
func (s *Server) collectionDoc(c echo.Context, col ogcCollection) (map[string]any, error) {
	b := s.baseURL(c) + "/ogc/collections/" + col.ID
	bbox := []float64{-180, -90, 180, 90}
	info, err := s.opt.Map.Layer(c.Request().Context(), col.ID)
	if err != nil {
		return nil, err
	}
	if info.Features > 0 {
		bbox = []float64{info.Bound.Min[0], info.Bound.Min[1], info.Bound.Max[0], info.Bound.Max[1]}
	}
	return map[string]any{
		"id": col.ID, "title": col.Title, "description": col.Description, "itemType": "feature",
		"crs":    []string{crs84},
		"extent": map[string]any{"spatial": map[string]any{"bbox": [][]float64{bbox}, "crs": crs84}},
		"links": []ogcLink{
			{Href: b + keyQuery(c), Rel: "self", Type: "application/json", Title: col.Title},
			{Href: b + "/items" + keyQuery(c), Rel: "items", Type: geoJSONType, Title: col.Title},
		},
	}, nil
}

// ogcCollectionsList answers GET /ogc/collections.
func (s *Server) ogcCollectionsList(c echo.Context) error {
	if err := checkFormat(c); err != nil {
		return err
	}
	docs := make([]map[string]any, 0, len(ogcCollections))
	for _, col := range ogcCollections {
		d, err := s.collectionDoc(c, col)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"collections": docs,
		"links":       []ogcLink{{Href: s.baseURL(c) + "/ogc/collections" + keyQuery(c), Rel: "self", Type: "application/json"}},
	})
}

// ogcCollection answers GET /ogc/collections/{id}.
func (s *Server) ogcCollection(c echo.Context) error {
	if err := checkFormat(c); err != nil {
		return err
	}
	col, err := findCollection(c.Param("id"))
	if err != nil {
		return err
	}
	d, err := s.collectionDoc(c, col)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// itemParams are the query parameters of /items besides the filters.
var itemParams = map[string]bool{"f": true, "limit": true, "bbox": true, "bbox-crs": true, "datetime": true, "cursor": true, mapKeyParam: true}

// parseItemsQuery reads limit, bbox, datetime, cursor and the collection's
// property filters; unknown parameters are an error, as Core asks.
func parseItemsQuery(c echo.Context, col ogcCollection) (store.FeatureQuery, error) {
	q := store.FeatureQuery{Level: col.Level, Limit: ogcDefaultPage}
	params := c.QueryParams()
	for k := range params {
		if !itemParams[k] && !contains(col.Filters, k) {
			return q, apperr.New(apperr.ErrInvalid, "unknown parameter %q; %s accepts %s and %s", k, col.ID,
				"f, limit, bbox, datetime, cursor", strings.Join(col.Filters, ", "))
		}
	}
	if err := checkFormat(c); err != nil {
		return q, err
	}
	if v := params.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return q, apperr.New(apperr.ErrInvalid, "limit %q: want a positive integer", v)
		}
		q.Limit = min(n, ogcMaxPage)
	}
	if v := params.Get("bbox-crs"); v != "" && v != crs84 {
		return q, apperr.New(apperr.ErrInvalid, "bbox-crs %q: only %s is supported", v, crs84)
	}
	if v := params.Get("bbox"); v != "" {
		b, err := ParseBBox(v)
		if err != nil {
			return q, err
		}
		q.BBox = &b
	}
	if v := params.Get("datetime"); v != "" {
		if col.Level == 0 {
			return q, apperr.New(apperr.ErrInvalid, "datetime: %s have no time", col.ID)
		}
		from, to, err := parseDatetime(v)
		if err != nil {
			return q, err
		}
		q.From, q.To = from, to
	}
	q.After = params.Get("cursor")
	if q.After != "" && col.Level == 0 {
		if _, err := strconv.ParseUint(q.After, 10, 63); err != nil {
			return q, apperr.New(apperr.ErrInvalid, "cursor %q: not from a next link", q.After)
		}
	}
	q.Kind, q.Name, q.Parent, q.GridCode = params.Get("kind"), params.Get("name"), params.Get("parent_code"), params.Get("grid_code")
	return q, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// parseDatetime reads an RFC 3339 instant or an interval "start/end" with
// ".." or "" for an open end. Units are matched on valid_from (the time
// their current version took effect): an instant matches exactly, an
// interval includes its ends.
func parseDatetime(v string) (*time.Time, *time.Time, error) {
	bad := apperr.New(apperr.ErrInvalid, "datetime %q: want an RFC 3339 instant or interval start/end (.. for open)", v)
	parse := func(s string) (*time.Time, error) {
		if s == "" || s == ".." {
			return nil, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, bad
		}
		return &t, nil
	}
	a, b, interval := strings.Cut(v, "/")
	from, err := parse(a)
	if err != nil {
		return nil, nil, err
	}
	if !interval {
		if from == nil {
			return nil, nil, bad
		}
		return from, from, nil
	}
	to, err := parse(b)
	if err != nil {
		return nil, nil, err
	}
	if from == nil && to == nil && !(a == ".." || b == "..") {
		return nil, nil, bad
	}
	if from != nil && to != nil && to.Before(*from) {
		return nil, nil, apperr.New(apperr.ErrInvalid, "datetime %q: end before start", v)
	}
	return from, to, nil
}

// ogcItems answers GET /ogc/collections/{id}/items: a GeoJSON
// FeatureCollection streamed as rows arrive, with a next link when there is
// more (keyset paging by id, so pages stay cheap however deep).
func (s *Server) ogcItems(c echo.Context) error {
	col, err := findCollection(c.Param("id"))
	if err != nil {
		return err
	}
	q, err := parseItemsQuery(c, col)
	if err != nil {
		return err
	}
	limit := q.Limit
	q.Limit = limit + 1 // one more tells whether there is a next page
	c.Response().Header().Set(echo.HeaderContentType, geoJSONType)
	// Buffered: an error before the first 64 KiB still becomes a JSON error.
	bw := bufio.NewWriterSize(&lazyWriter{c: c}, 64<<10)
	io.WriteString(bw, `{"type":"FeatureCollection","features":[`)
	n, last, more := 0, "", false
	err = s.opt.Read.StreamFeatures(c.Request().Context(), q, func(id string, feature []byte) error {
		if n == limit {
			more = true
			return nil
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		last = id
		_, err := bw.Write(feature)
		return err
	})
	if err != nil {
		return err
	}
	self := s.baseURL(c) + c.Request().URL.Path
	links := []ogcLink{
		{Href: self + queryString(c.QueryParams(), nil), Rel: "self", Type: geoJSONType, Title: "this page"},
		{Href: s.baseURL(c) + "/ogc/collections/" + col.ID + keyQuery(c), Rel: "collection", Type: "application/json"},
	}
	if more {
		links = append(links, ogcLink{Href: self + queryString(c.QueryParams(), map[string]string{"cursor": last, "limit": strconv.Itoa(limit)}),
			Rel: "next", Type: geoJSONType, Title: "next page"})
	}
	tail, _ := json.Marshal(links)
	io.WriteString(bw, `],"links":`)
	bw.Write(tail)
	io.WriteString(bw, `,"numberReturned":`+strconv.Itoa(n)+`,"timeStamp":"`+time.Now().UTC().Format(time.RFC3339)+`"}`+"\n")
	return bw.Flush()
}

// queryString re-encodes params with the overrides applied.
func queryString(params url.Values, set map[string]string) string {
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	for k, s := range set {
		v.Set(k, s)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// ogcItem answers GET /ogc/collections/{id}/items/{fid}.
func (s *Server) ogcItem(c echo.Context) error {
	col, err := findCollection(c.Param("id"))
	if err != nil {
		return err
	}
	if err := checkFormat(c); err != nil {
		return err
	}
	fid := c.Param("fid")
	valid := unit.IsUnitCode(fid)
	if col.Level == 0 {
		_, perr := strconv.ParseUint(fid, 10, 63)
		valid = perr == nil
	}
	if !valid {
		return apperr.New(apperr.ErrNotFound, "no feature %q in %s", fid, col.ID)
	}
	var feature []byte
	err = s.opt.Read.StreamFeatures(c.Request().Context(), store.FeatureQuery{Level: col.Level, ID: fid, Limit: 1},
		func(_ string, f []byte) error { feature = f; return nil })
	if err != nil {
		return err
	}
	if feature == nil {
		return apperr.New(apperr.ErrNotFound, "no feature %q in %s", fid, col.ID)
	}
	links, _ := json.Marshal([]ogcLink{
		{Href: s.baseURL(c) + c.Request().URL.Path + keyQuery(c), Rel: "self", Type: geoJSONType},
		{Href: s.baseURL(c) + "/ogc/collections/" + col.ID + keyQuery(c), Rel: "collection", Type: "application/json"},
	})
	// The feature is a JSON object from the database: add links before its end.
	feature = bytes.TrimRight(feature, " \n")
	out := append(feature[:len(feature)-1:len(feature)-1], `,"links":`...)
	out = append(append(out, links...), '}')
	return c.Blob(http.StatusOK, geoJSONType, out)
}

// ogcAPI answers GET /ogc/api with a small OpenAPI 3.0 definition of /ogc.
func (s *Server) ogcAPI(c echo.Context) error {
	get := func(summary, resp string) map[string]any {
		return map[string]any{"get": map[string]any{"summary": summary,
			"responses": map[string]any{"200": map[string]any{"description": resp}}}}
	}
	param := func(name, in, typ string, required bool) map[string]any {
		return map[string]any{"name": name, "in": in, "required": required, "schema": map[string]any{"type": typ}}
	}
	items := get("features of a collection", "GeoJSON FeatureCollection")
	items["get"].(map[string]any)["parameters"] = []any{
		param("collectionId", "path", "string", true), param("limit", "query", "integer", false),
		param("bbox", "query", "string", false), param("datetime", "query", "string", false),
		param("cursor", "query", "string", false),
	}
	item := get("one feature", "GeoJSON Feature")
	item["get"].(map[string]any)["parameters"] = []any{param("collectionId", "path", "string", true), param("featureId", "path", "string", true)}
	col := get("one collection", "collection")
	col["get"].(map[string]any)["parameters"] = []any{param("collectionId", "path", "string", true)}
	return c.JSON(http.StatusOK, map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": "wangge OGC API – Features", "version": "1.0"},
		"servers": []any{map[string]any{"url": s.baseURL(c) + "/ogc"}},
		"components": map[string]any{"securitySchemes": map[string]any{
			"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			"basic":  map[string]any{"type": "http", "scheme": "basic"},
			"mapKey": map[string]any{"type": "apiKey", "in": "query", "name": mapKeyParam}}},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"basic": []any{}}, map[string]any{"mapKey": []any{}}},
		"paths": map[string]any{
			"/":                                 get("landing page", "links"),
			"/conformance":                      get("conformance classes", "conformsTo"),
			"/collections":                      get("collections", "collections"),
			"/collections/{collectionId}":       col,
			"/collections/{collectionId}/items": items,
			"/collections/{collectionId}/items/{featureId}": item,
		},
	})
}
