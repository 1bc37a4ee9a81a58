package unitio

import (
	"context"
	"encoding/json"

	"wangge/internal/apperr"
	"wangge/internal/store"
)

// Shape is one unit's new geometry: an estate drawn or corrected on the map
// (or a district, street or community whose siblings already fit it).
type Shape struct {
	Geometry json.RawMessage `json:"geometry"` // GeoJSON Polygon or MultiPolygon
	Name     string          `json:"name"`     // "" keeps the stored name; required for a new unit
}

// Replace writes one unit's shape as a file holding only that unit: the same
// checks (PostGIS validity, inside its parent, no overlap with its stored
// siblings, every defect listed) and the same write path (grid.Commit), so
// that a unit edited by hand obeys what an imported one does. A unit that
// does not exist yet is created.
func Replace(ctx context.Context, st *store.Store, code string, sh Shape, req Request) (Report, error) {
	if len(sh.Geometry) == 0 || string(sh.Geometry) == "null" {
		return Report{}, apperr.New(apperr.ErrInvalid, "geometry: required (a GeoJSON Polygon or MultiPolygon)")
	}
	if sh.Name == "" {
		stored, err := st.UnitRefs(ctx, []string{code}, nil, nil)
		if err != nil {
			return Report{}, err
		}
		u, ok := stored[code]
		if !ok {
			return Report{}, apperr.New(apperr.ErrInvalid, "unit %s does not exist yet: send its name to create it", code)
		}
		sh.Name = u.Name
	}
	file, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{
		"type": "Feature", "properties": map[string]string{"code": code, "name": sh.Name}, "geometry": sh.Geometry}}})
	if err != nil {
		return Report{}, apperr.New(apperr.ErrInvalid, "geometry: %v", err)
	}
	req.Mapping = Mapping{}
	return Import(ctx, st, file, req)
}
