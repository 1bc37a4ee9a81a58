package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"wangge/geo/tile"
	"wangge/internal/apperr"
	"wangge/internal/tilecache"
)

// tileCacheControl lets the browser reuse a tile briefly; freshness comes
// from server-side invalidation and ETag revalidation, so it stays short.
const tileCacheControl = "private, max-age=5"

const mvtType = "application/vnd.mapbox-vector-tile"

// getTile answers GET /tiles/{layer}/{z}/{x}/{y}.mvt from the tile cache:
// ETag/If-None-Match → 304, the gzip variant when the client accepts it.
func (s *Server) getTile(c echo.Context) error {
	z, x, y, err := tileCoords(c, ".mvt")
	if err != nil {
		return err
	}
	e, err := s.opt.Map.Tile(c.Request().Context(), c.Param("layer"), z, x, y)
	if err != nil {
		return err
	}
	return writeTile(c, e, tileCacheControlValue)
}

// writeTile answers with a cached tile: its ETag (304 on If-None-Match) and
// the gzip variant when the client accepts it.
func writeTile(c echo.Context, e tilecache.Entry, cacheControl []string) error {
	// Header values are assigned directly (canonical keys, shared value
	// slices that nothing modifies): cached tiles are served at tens of
	// thousands a second and Header.Set allocates for every call.
	h := c.Response().Header()
	h["Cache-Control"] = cacheControl
	h["Vary"] = varyAcceptEncoding
	gz := acceptsGzip(c.Request().Header.Get("Accept-Encoding"))
	etag := e.ETag
	if gz {
		etag = e.GzipETag
	}
	h["Etag"] = []string{etag}
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	body := e.Data
	if gz {
		body = e.Gzip() // made on the first gzip request for this tile
		h["Content-Encoding"] = gzipEncoding
	}
	// An explicit length spares net/http chunked encoding of big tiles.
	h["Content-Type"] = mvtTypeValue
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	c.Response().WriteHeader(http.StatusOK)
	_, err := c.Response().Write(body)
	return err
}

var (
	tileCacheControlValue = []string{tileCacheControl}
	varyAcceptEncoding    = []string{"Accept-Encoding"}
	gzipEncoding          = []string{"gzip"}
	mvtTypeValue          = []string{mvtType}
)

// tileNumber parses a decimal tile coordinate in [0, limit].
// tileCoords reads a tile route's {z}/{x}/{y}.mvt: not found without the
// .mvt, invalid for numbers that name no tile of the zoom.
func tileCoords(c echo.Context, ext string) (z, x, y int, err error) {
	yname, ok := strings.CutSuffix(c.Param("y"), ext)
	if !ok {
		return 0, 0, 0, apperr.New(apperr.ErrNotFound, "tiles are …/{z}/{x}/{y}%s", ext)
	}
	z, errZ := tileNumber(c.Param("z"), tile.MaxZoom)
	x, errX := tileNumber(c.Param("x"), 1<<30)
	y, errY := tileNumber(yname, 1<<30)
	if errZ != nil || errX != nil || errY != nil || x >= 1<<z || y >= 1<<z {
		return 0, 0, 0, apperr.New(apperr.ErrInvalid, "tile %s/%s/%s: z from 0 to %d, x and y below 2^z",
			c.Param("z"), c.Param("x"), yname, tile.MaxZoom)
	}
	return z, x, y, nil
}

func tileNumber(s string, limit int) (int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > limit || (len(s) > 1 && s[0] == '0') {
		return 0, apperr.New(apperr.ErrInvalid, "bad tile coordinate %q", s)
	}
	return v, nil
}

// acceptsGzip reads Accept-Encoding: gzip (or *) unless given q=0.
func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}

// etagMatches implements If-None-Match's weak comparison against etag.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		t := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// tileJSON is TileJSON 3.0.0 for one layer.
type tileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []vectorLayer `json:"vector_layers"`
	// Features is the layer's feature count (a TileJSON extension): the
	// page's per-level totals without downloading the features.
	Features int `json:"features"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

// getTileJSON answers GET /tiles/{layer}.json.
func (s *Server) getTileJSON(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".json")
	if !ok {
		return apperr.New(apperr.ErrNotFound, "layer descriptions are /tiles/{layer}.json")
	}
	info, err := s.opt.Map.Layer(c.Request().Context(), name)
	if err != nil {
		return err
	}
	spec := info.Spec
	bounds := [4]float64{-180, -85.0511, 180, 85.0511}
	if info.Features > 0 {
		b := info.Bound
		bounds = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	}
	center := [3]float64{(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, float64(max(spec.MinZoom, min(12, spec.MaxZoom)))}
	c.Response().Header().Set("Cache-Control", "private, no-cache")
	return c.JSON(http.StatusOK, tileJSON{
		TileJSON: "3.0.0", Name: spec.Name, Description: info.Description, Scheme: "xyz",
		Tiles:   []string{s.baseURL(c) + "/tiles/" + spec.Name + "/{z}/{x}/{y}.mvt" + keyQuery(c)},
		MinZoom: spec.MinZoom, MaxZoom: spec.MaxZoom, Bounds: bounds, Center: center,
		VectorLayers: []vectorLayer{{ID: spec.Name, Description: info.Description,
			MinZoom: spec.MinZoom, MaxZoom: spec.MaxZoom, Fields: info.Fields}},
		Features: info.Features,
	})
}

// baseURL is where clients reach this server, for links in OGC answers,
// TileJSON and QR codes: the configured public URL (WANGGE_PUBLIC_URL), else
// scheme://host as this request addressed it — which a client chooses, so
// set the public URL wherever links are cached or printed.
func (s *Server) baseURL(c echo.Context) string {
	if s.opt.PublicURL != "" {
		return s.opt.PublicURL
	}
	return c.Scheme() + "://" + c.Request().Host
}
