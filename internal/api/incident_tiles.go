package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"wangge/geo/tile"
	"wangge/internal/apperr"
	"wangge/internal/store"
)

// Incident tiles are made per request: they depend on the caller's scope
// and the filters, so they bypass the shared tile cache.
const (
	incidentTileMinZoom = 10   // below, one tile holds a whole city's cases
	incidentTileLimit   = 5000 // features per tile; overdue and newest first
)

var incidentTileSpec = tile.Spec{Name: "incidents", Tolerance: -1}

// incidentTile answers GET /api/incidents/tiles/{z}/{x}/{y}.mvt?state=&category=&from=&to=&overdue=&limit=
// with layer "incidents": points with id, state, category, type, level and
// overdue. X-Incidents-Truncated says the tile hit its limit.
func (s *Server) incidentTile(c echo.Context) error {
	z, x, y, err := tileCoords(c, ".mvt")
	if err != nil {
		return err
	}
	if z < incidentTileMinZoom {
		return apperr.New(apperr.ErrInvalid, "incident tiles start at zoom %d", incidentTileMinZoom)
	}
	f, err := incidentFilter(c)
	if err != nil {
		return err
	}
	f.Limit = incidentTileLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > incidentTileLimit {
			return apperr.New(apperr.ErrInvalid, "limit %q: want 1–%d", v, incidentTileLimit)
		}
		f.Limit = n
	}
	// The tile plus the encoder's buffer (64 of 4096 units a side), so a
	// point near an edge is drawn whole in both tiles.
	b := maptile.New(uint32(x), uint32(y), maptile.Zoom(z)).Bound()
	dx, dy := (b.Max[0]-b.Min[0])/64, (b.Max[1]-b.Min[1])/64
	pts, err := s.opt.Store.IncidentPoints(c.Request().Context(), [4]float64{b.Min[0] - dx, b.Min[1] - dy, b.Max[0] + dx, b.Max[1] + dy}, f)
	if err != nil {
		return err
	}
	data, err := encodeIncidentTile(pts, z, x, y)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", tileCacheControl)
	if len(pts) == f.Limit {
		h.Set("X-Incidents-Truncated", "true")
	}
	// Made per request, but revalidated like the cached tiles: an unchanged
	// tile is a 304 and no body.
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	h.Set("Etag", etag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, mvtType, data)
}

func encodeIncidentTile(pts []store.IncidentPoint, z, x, y int) ([]byte, error) {
	features := make([]tile.Feature, len(pts))
	for i, p := range pts {
		features[i] = tile.Feature{ID: uint64(p.Seq), Geometry: orb.Point{p.Lon, p.Lat}, Properties: []tile.Property{
			{Key: "id", Value: p.ID}, {Key: "state", Value: p.State}, {Key: "category", Value: p.Category},
			{Key: "type", Value: p.Type}, {Key: "level", Value: p.Level}, {Key: "overdue", Value: p.Overdue}}}
	}
	l := tile.NewLayer(incidentTileSpec)
	if err := l.Replace(features); err != nil {
		return nil, err
	}
	return tile.Encode([]*tile.Layer{l}, z, x, y, tile.Options{})
}
