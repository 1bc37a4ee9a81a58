package store

import (
	"context"
	"fmt"
	"time"
)

// MaxUnitChanges bounds UnitChanges' limit.
const MaxUnitChanges = 500

// UnitChange is one event in the history of the units: a version that began
// (added, changed) or a unit that ended (removed), at its exact time.
type UnitChange struct {
	At         time.Time `json:"at"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Level      string    `json:"level"`
	Kind       string    `json:"kind"`
	Change     string    `json:"change"`  // added, changed, removed
	Version    int       `json:"version"` // the new version; for removed, the last one
	ChangedBy  *string   `json:"changed_by"`
	Reason     *string   `json:"reason"`
	AreaBefore *float64  `json:"area_before_m2"`
	AreaAfter  *float64  `json:"area_after_m2"`
}

// The events are picked and limited first; areas (geography) are computed
// for the rows kept only, so a day of a city's initial load costs the limit.
const unitChangesSQL = `
WITH ev AS (
    SELECT v.code, v.version, v.valid_from AS at,
           CASE WHEN v.version = 1 OR NOT EXISTS (SELECT 1 FROM unit_versions p WHERE p.code = v.code AND p.version = v.version - 1)
                THEN 'added' ELSE 'changed' END AS change
    FROM unit_versions v
    WHERE v.level >= 2 AND v.valid_from >= $1 AND v.valid_from < $2 AND ($3 = 0 OR left(v.code, $3) = $4)
    UNION ALL
    SELECT v.code, v.version, v.valid_to, 'removed'
    FROM unit_versions v
    WHERE v.level >= 2 AND v.valid_to >= $1 AND v.valid_to < $2 AND ($3 = 0 OR left(v.code, $3) = $4)
      AND NOT EXISTS (SELECT 1 FROM unit_versions n WHERE n.code = v.code AND n.version > v.version)
), kept AS (
    SELECT * FROM ev ORDER BY at DESC, code LIMIT $5
)
SELECT e.at, e.code, v.name, l.name, v.kind, e.change, e.version,
       CASE WHEN e.change = 'removed' THEN NULL ELSE v.changed_by END,
       CASE WHEN e.change = 'removed' THEN NULL ELSE v.reason END,
       CASE WHEN e.change = 'removed' THEN ST_Area(v.geom::geography) ELSE ST_Area(p.geom::geography) END,
       CASE WHEN e.change = 'removed' THEN NULL ELSE ST_Area(v.geom::geography) END
FROM kept e
JOIN unit_versions v ON v.code = e.code AND v.version = e.version
JOIN unit_levels l ON l.level = v.level
LEFT JOIN unit_versions p ON e.change = 'changed' AND p.code = e.code AND p.version = e.version - 1
ORDER BY e.at DESC, e.code`

// UnitChanges lists the changes to units (streets and below) under parent
// ("" all) with from <= time < to, newest first, at most limit of them.
func (s *Store) UnitChanges(ctx context.Context, from, to time.Time, parent string, limit int) ([]UnitChange, error) {
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, unitChangesSQL, from, to, n, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unit changes: %w", err)
	}
	defer rows.Close()
	out := []UnitChange{}
	for rows.Next() {
		var c UnitChange
		if err := rows.Scan(&c.At, &c.Code, &c.Name, &c.Level, &c.Kind, &c.Change, &c.Version, &c.ChangedBy, &c.Reason, &c.AreaBefore, &c.AreaAfter); err != nil {
			return nil, fmt.Errorf("store: unit changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unit changes: %w", err)
	}
	return out, nil
}
