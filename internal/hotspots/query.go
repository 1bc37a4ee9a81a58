// Package hotspots serves hotspot maps of incidents (issue #17): cases of a
// window, category and handling type binned into hexagons or grids, Getis-Ord
// Gi* over the bins (geo/hotspot), as GeoJSON and vector tiles, cached per
// query and dropped when a case in the window changes (migration 000110's
// NOTIFY) or residents or grids change.
package hotspots

import (
	"math"
	"net/url"
	"strconv"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/workcal"
)

// Limits of a query.
const (
	MaxWindow   = 366 * 24 * time.Hour
	MinZoom     = 10 // hexagons of 2,000 m
	MaxZoom     = 16 // hexagons of 31.25 m
	DefaultZoom = 13 // 250 m
	// GridNeighbours is k of the k-nearest-neighbour weights between grids
	// (grids differ in size, so a distance band would give some none).
	GridNeighbours = 8
)

// HexSize is the hexagon circumradius (centre to corner = side, metres) at a
// map zoom: 500 m at zoom 12, halving with each zoom in, so a hexagon stays
// about 25–50 px across on screen.
func HexSize(zoom int) float64 { return 500 * math.Pow(2, float64(12-zoom)) }

// Query is one hotspot map.
type Query struct {
	Parent   string    // unit code: the study area
	Category string    // catalogue code; a parent includes its children; "" all
	Type     string    // handling type: routine, coordination, emergency, approval; "" all
	From, To time.Time // reported_at in [From, To)
	Bins     string    // "hex" or "grid"
	Zoom     int       // hexagon size (HexSize); grids ignore it
	Value    string    // analysed value: "count" or "rate" (per 1,000 residents)
	Trend    bool      // also the emerging-hotspot trend over TrendPeriods earlier windows
}

// Key is the query's cache key: every field that changes the answer.
func (q Query) Key() string {
	v := url.Values{}
	v.Set("parent", q.Parent)
	v.Set("category", q.Category)
	v.Set("type", q.Type)
	v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	v.Set("bins", q.Bins)
	v.Set("value", q.Value)
	if q.Bins == "hex" {
		v.Set("zoom", strconv.Itoa(q.Zoom))
	}
	if q.Trend {
		v.Set("trend", "1")
	}
	return v.Encode()
}

var handlingTypes = map[string]bool{"routine": true, "coordination": true, "emergency": true, "approval": true}

// ParseQuery reads the query parameters (parent is checked by the caller:
// it needs the principal). Defaults: the last 30 days to now, hexagons at
// DefaultZoom, counts. Errors are ErrInvalid with the reason.
func ParseQuery(v url.Values, now time.Time) (Query, error) {
	q := Query{Parent: v.Get("parent"), Category: v.Get("category"), Type: v.Get("type"),
		Bins: v.Get("bins"), Value: v.Get("value"), To: now, Zoom: DefaultZoom}
	var err error
	if s := v.Get("to"); s != "" {
		if q.To, err = parseTime(s); err != nil {
			return q, apperr.New(apperr.ErrInvalid, "to %q: want an RFC 3339 time or a date", s)
		}
	}
	q.From = q.To.Add(-30 * 24 * time.Hour)
	if s := v.Get("from"); s != "" {
		if q.From, err = parseTime(s); err != nil {
			return q, apperr.New(apperr.ErrInvalid, "from %q: want an RFC 3339 time or a date", s)
		}
	}
	if !q.To.After(q.From) {
		return q, apperr.New(apperr.ErrInvalid, "from must be before to")
	}
	if q.To.Sub(q.From) > MaxWindow {
		return q, apperr.New(apperr.ErrInvalid, "window of %.0f days: at most 366", q.To.Sub(q.From).Hours()/24)
	}
	if q.Type != "" && !handlingTypes[q.Type] {
		return q, apperr.New(apperr.ErrInvalid, "type %q: want routine, coordination, emergency or approval", q.Type)
	}
	switch q.Bins {
	case "":
		q.Bins = "hex"
	case "hex", "grid":
	default:
		return q, apperr.New(apperr.ErrInvalid, "bins %q: want hex or grid", q.Bins)
	}
	switch q.Value {
	case "":
		q.Value = "count"
	case "count", "rate":
	default:
		return q, apperr.New(apperr.ErrInvalid, "value %q: want count or rate", q.Value)
	}
	switch t := v.Get("trend"); t {
	case "", "0", "false":
	case "1", "true":
		q.Trend = true
	default:
		return q, apperr.New(apperr.ErrInvalid, "trend %q: want 1 or 0", t)
	}
	if s := v.Get("zoom"); s != "" {
		z, err := strconv.Atoi(s)
		if err != nil || z < MinZoom || z > MaxZoom {
			return q, apperr.New(apperr.ErrInvalid, "zoom %q: want an integer from %d (hexagons of %g m) to %d (%g m)",
				s, MinZoom, HexSize(MinZoom), MaxZoom, HexSize(MaxZoom))
		}
		q.Zoom = z
	}
	return q, nil
}

// parseTime takes RFC 3339 or a date (midnight China Standard Time).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation(time.DateOnly, s, workcal.CST)
}
