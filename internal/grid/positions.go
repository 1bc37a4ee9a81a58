package grid

import (
	"encoding/json"
	"fmt"

	"wangge/internal/apperr"
)

// CheckPositions refuses GeoJSON whose "coordinates" hold a position of
// fewer than two numbers: the GeoJSON decoder reads [lon] as (lon, 0), a
// point on the equator, so the client's mistake would surface as a
// far-away shape. It names the first bad position; the walk visits each
// value once, so its work is bounded by the input's size.
func CheckPositions(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return apperr.New(apperr.ErrInvalid, "geometry: not GeoJSON: %v", err)
	}
	if where := shortPosition(v, "", false); where != "" {
		return apperr.New(apperr.ErrInvalid, "geometry: %s: a position needs longitude and latitude", where)
	}
	return nil
}

var geometryTypes = map[string]bool{"Point": true, "MultiPoint": true, "LineString": true,
	"MultiLineString": true, "Polygon": true, "MultiPolygon": true}

// shortPosition returns the path of the first position under a
// geometry's "coordinates" with fewer than two numbers, or "".
func shortPosition(v any, path string, inCoords bool) string {
	switch x := v.(type) {
	case map[string]any:
		t, _ := x["type"].(string)
		geometry := geometryTypes[t]
		for k, e := range x {
			if w := shortPosition(e, path+"."+k, geometry && k == "coordinates"); w != "" {
				return w
			}
		}
	case []any:
		if !inCoords {
			for i, e := range x {
				if w := shortPosition(e, fmt.Sprintf("%s[%d]", path, i), false); w != "" {
					return w
				}
			}
			return ""
		}
		numbers := 0
		for i, e := range x {
			switch e.(type) {
			case float64:
				numbers++
			case []any:
				if w := shortPosition(e, fmt.Sprintf("%s[%d]", path, i), true); w != "" {
					return w
				}
			}
		}
		if numbers > 0 && numbers < 2 {
			return path[1:]
		}
	}
	return ""
}
