package store

// Placement of buildings (and so households), incidents and places
// (organisations, facilities, inspected rooms) in grids: their grid_code
// follows the grid that contains their point.

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"
)

// Moved counts what a boundary change re-assigned.
type Moved struct {
	Buildings  int `json:"buildings"`
	Households int `json:"households"`
	Incidents  int `json:"incidents"`
	Places     int `json:"places"`
}

// reassignCTE selects the rows of table lying in the area ($1: the old and
// new shapes) or filed under the codes ($2), each with its grid (old) and
// the grid now holding its point (new, by the lookup index's rule).
func reassignCTE(table string) string {
	return `
WITH area AS MATERIALIZED (SELECT ST_SetSRID(ST_GeomFromWKB(g), 4326) AS g FROM unnest($1::bytea[]) AS t(g)),
ids AS (
    SELECT x.id FROM area JOIN ` + table + ` x ON x.pt && area.g AND ST_Intersects(area.g, x.pt)
    UNION
    SELECT x.id FROM ` + table + ` x WHERE x.grid_code = ANY($2::text[])
), cand AS (
    SELECT x.id, x.grid_code AS old,
           (SELECT u.code FROM units u WHERE u.level = 4 AND u.geom && x.pt AND ST_Intersects(u.geom, x.pt)
            ORDER BY u.code LIMIT 1) AS new
    FROM ids JOIN ` + table + ` x USING (id)
)`
}

var (
	reassignBuildingsSQL = reassignCTE("buildings") + `, moved AS (
    UPDATE buildings b SET grid_code = cand.new FROM cand
    WHERE b.id = cand.id AND cand.old IS DISTINCT FROM cand.new
    RETURNING b.id
)
SELECT (SELECT count(*) FROM moved),
       (SELECT count(*) FROM households h WHERE h.building_id IN (SELECT id FROM moved))`

	reassignIncidentsSQL = reassignCTE("incidents") + `, moved AS (
    UPDATE incidents i SET grid_code = cand.new FROM cand
    WHERE i.id = cand.id AND cand.old IS DISTINCT FROM cand.new
    RETURNING i.id
)
SELECT count(*) FROM moved`

	// A place must stay in a grid (its inspections and hazards are scoped
	// by it): one whose point a change leaves in no grid keeps its grid
	// until an edit covers it again. Its hazards follow it.
	reassignPlacesSQL = reassignCTE("places") + `, moved AS (
    UPDATE places p SET grid_code = cand.new, region_code = left(cand.new, 6), updated_at = now() FROM cand
    WHERE p.id = cand.id AND cand.new IS NOT NULL AND cand.old <> cand.new
    RETURNING p.id, p.grid_code
), hz AS (
    UPDATE hazards h SET grid_code = moved.grid_code, region_code = left(moved.grid_code, 6)
    FROM moved WHERE h.place_id = moved.id
)
SELECT count(*) FROM moved`
)

// Reassign puts buildings (and so their households), incidents and places lying in
// area (old and new shapes of the changed grids) or filed under codes into
// the grid that now contains their point, and counts the moves.
func (s *Store) Reassign(ctx context.Context, q Querier, area []orb.Geometry, codes []string) (Moved, error) {
	raw := make([][]byte, 0, len(area))
	for _, g := range area {
		if g != nil {
			raw = append(raw, encodeWKB(g))
		}
	}
	var m Moved
	if err := q.QueryRow(ctx, reassignBuildingsSQL, raw, codes).Scan(&m.Buildings, &m.Households); err != nil {
		return m, fmt.Errorf("store: reassign buildings: %w", err)
	}
	if err := q.QueryRow(ctx, reassignIncidentsSQL, raw, codes).Scan(&m.Incidents); err != nil {
		return m, fmt.Errorf("store: reassign incidents: %w", err)
	}
	if err := q.QueryRow(ctx, reassignPlacesSQL, raw, codes).Scan(&m.Places); err != nil {
		return m, fmt.Errorf("store: reassign places: %w", err)
	}
	return m, nil
}
