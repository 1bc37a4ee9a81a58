package store

import (
	"context"
	"fmt"
	"strings"

	"wangge/internal/unit"
)

// MaxUnitSearch bounds SearchUnits' limit.
const MaxUnitSearch = 50

// UnitHit is one answer of SearchUnits: enough to list it and fly to it.
type UnitHit struct {
	Code       string     `json:"code"`
	Name       string     `json:"name"`
	Level      string     `json:"level"`
	LevelZh    string     `json:"level_zh"`
	Kind       string     `json:"kind"`
	ParentName string     `json:"parent_name"`
	BBox       [4]float64 `json:"bbox"` // minLon, minLat, maxLon, maxLat
	InScope    bool       `json:"in_scope"`
}

// Every word of the query must be in the name or begin the code; the
// caller's own units first, then an exact code, a name that starts with the
// query, grids before the levels above them. The map is the same for every
// role, so so is the search; the scope only orders it. A seq scan of the
// units table: 11,000 rows at city scale.
const searchUnitsSQL = `
SELECT u.code, u.name, l.name, l.name_zh, u.kind, coalesce(p.name, ''),
       ST_XMin(u.geom), ST_YMin(u.geom), ST_XMax(u.geom), ST_YMax(u.geom),
       u.code LIKE $2 || '%' AS in_scope
FROM units u JOIN unit_levels l USING (level) LEFT JOIN units p ON p.code = u.parent_code
WHERE u.level >= 2
  AND (SELECT bool_and(strpos(lower(u.name), lower(w)) > 0 OR starts_with(u.code, w)) FROM unnest($1::text[]) w)
ORDER BY in_scope DESC, u.code = $3 DESC, u.name = $3 DESC, starts_with(u.name, $1[1]) DESC,
         u.level DESC, length(u.name), u.code
LIMIT $4`

// SearchUnits finds streets, communities and grids by name or code words.
// scope is the caller's unit ("" everywhere); q is already checked for length.
func (s *Store) SearchUnits(ctx context.Context, q, scope string, limit int) ([]UnitHit, error) {
	words := strings.Fields(q)
	if len(words) > 8 {
		words = words[:8]
	}
	prefix := scope[:unit.PrefixLen(scope)]
	rows, err := s.pool.Query(ctx, searchUnitsSQL, words, prefix, strings.TrimSpace(q), limit)
	if err != nil {
		return nil, fmt.Errorf("store: search units: %w", err)
	}
	defer rows.Close()
	hits := []UnitHit{}
	for rows.Next() {
		var h UnitHit
		if err := rows.Scan(&h.Code, &h.Name, &h.Level, &h.LevelZh, &h.Kind, &h.ParentName,
			&h.BBox[0], &h.BBox[1], &h.BBox[2], &h.BBox[3], &h.InScope); err != nil {
			return nil, fmt.Errorf("store: search units: %w", err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search units: %w", err)
	}
	return hits, nil
}
