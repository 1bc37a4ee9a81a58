package store

// Table unit_versions: every version of every unit, for history, diffs and
// never-reused grid codes.

import (
	"context"
	"fmt"
	"io"
	"time"

	"wangge/internal/apperr"
	"wangge/internal/unit"
)

// NextGridCode is the next free grid code of a community: its code plus one
// more than the highest 3-digit sequence ever used there (history included,
// so a deleted grid's code is never given to another area).
func (s *Store) NextGridCode(ctx context.Context, q Querier, community string, skip int) (string, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT coalesce(max(right(code, 3)::int), 0) FROM unit_versions
        WHERE level = 4 AND left(code, 12) = $1`, community).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("store: next grid code: %w", err)
	}
	n += 1 + skip
	if n > 999 {
		return "", apperr.New(apperr.ErrConflict, "community %s has used all 999 grid codes", community)
	}
	return fmt.Sprintf("%s%03d", community, n), nil
}

// scopeArgs turns an optional ancestor code into the (digits, prefix) pair
// the history queries filter grid codes with.
func scopeArgs(parent string) (int, string) {
	if parent == "" {
		return 0, ""
	}
	n := unit.PrefixLen(parent)
	return n, parent[:n]
}

const versionFeatureSQL = `
json_build_object('type', 'Feature', 'id', v.code,
    'geometry', ST_AsGeoJSON(v.geom, 7)::json,
    'properties', json_build_object('code', v.code, 'name', v.name, 'level', 'grid', 'parent_code', v.parent_code,
        'kind', v.kind, 'version', v.version, 'valid_from', v.valid_from, 'valid_to', v.valid_to,
        'changed_by', v.changed_by, 'reason', v.reason))`

const gridsAsOfSQL = `
SELECT ` + versionFeatureSQL + `::text
FROM unit_versions v
WHERE v.level = 4 AND v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to > $1)
  AND ($2 = 0 OR left(v.code, $2) = $3)
ORDER BY v.code`

// StreamGridsAsOf writes the grids (under parent, when given) as they were
// at time at, from unit_versions, as a GeoJSON FeatureCollection.
func (s *Store) StreamGridsAsOf(ctx context.Context, at time.Time, parent string, w io.Writer) error {
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, gridsAsOfSQL, at, n, prefix)
	if err != nil {
		return fmt.Errorf("store: grids as of: %w", err)
	}
	return streamFeatures(rows, w)
}

const gridVersionsSQL = `
SELECT ` + versionFeatureSQL + `::text FROM unit_versions v WHERE v.code = $1 ORDER BY v.version`

// StreamGridVersions writes every version of a unit, oldest first; a code
// with no history is ErrNotFound.
func (s *Store) StreamGridVersions(ctx context.Context, code string, w io.Writer) error {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM unit_versions WHERE code = $1`, code).Scan(&n); err != nil {
		return fmt.Errorf("store: versions: %w", err)
	}
	if n == 0 {
		return apperr.New(apperr.ErrNotFound, "no unit with code %q, now or ever", code)
	}
	rows, err := s.pool.Query(ctx, gridVersionsSQL, code)
	if err != nil {
		return fmt.Errorf("store: versions: %w", err)
	}
	return streamFeatures(rows, w)
}

const gridsDiffSQL = `
WITH a AS (
    SELECT * FROM unit_versions v WHERE v.level = 4 AND v.valid_from <= $1 AND (v.valid_to IS NULL OR v.valid_to > $1)
      AND ($3 = 0 OR left(v.code, $3) = $4)
), b AS (
    SELECT * FROM unit_versions v WHERE v.level = 4 AND v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to > $2)
      AND ($3 = 0 OR left(v.code, $3) = $4)
)
SELECT json_build_object('type', 'Feature', 'id', coalesce(b.code, a.code),
    'geometry', ST_AsGeoJSON(coalesce(b.geom, a.geom), 7)::json,
    'properties', json_build_object('code', coalesce(b.code, a.code),
        'change', CASE WHEN a.code IS NULL THEN 'added' WHEN b.code IS NULL THEN 'removed' ELSE 'changed' END,
        'name', coalesce(b.name, a.name), 'kind', coalesce(b.kind, a.kind),
        'from_version', a.version, 'to_version', b.version,
        'geometry_changed', a.code IS NULL OR b.code IS NULL OR NOT ST_Equals(a.geom, b.geom),
        'before', ST_AsGeoJSON(a.geom, 7)::json, 'after', ST_AsGeoJSON(b.geom, 7)::json,
        'area_before_m2', ST_Area(a.geom::geography), 'area_after_m2', ST_Area(b.geom::geography),
        'added', ST_AsGeoJSON(d.added, 7)::json, 'removed', ST_AsGeoJSON(d.removed, 7)::json,
        'added_m2', coalesce(ST_Area(d.added::geography), 0), 'removed_m2', coalesce(ST_Area(d.removed::geography), 0),
        'households_gained', hg.n, 'households_lost', hl.n))::text
FROM a FULL JOIN b USING (code)
-- The area each grid gained and lost, and the households registered today in
-- buildings there (the households the change moved, as they stand now).
CROSS JOIN LATERAL (SELECT
    CASE WHEN a.code IS NULL THEN b.geom WHEN b.code IS NULL THEN NULL
         ELSE ST_CollectionExtract(ST_Difference(b.geom, a.geom), 3) END AS added,
    CASE WHEN b.code IS NULL THEN a.geom WHEN a.code IS NULL THEN NULL
         ELSE ST_CollectionExtract(ST_Difference(a.geom, b.geom), 3) END AS removed) raw
CROSS JOIN LATERAL (SELECT CASE WHEN NOT ST_IsEmpty(raw.added) THEN raw.added END AS added,
    CASE WHEN NOT ST_IsEmpty(raw.removed) THEN raw.removed END AS removed) d
CROSS JOIN LATERAL (SELECT count(h.id) AS n FROM buildings bl JOIN households h ON h.building_id = bl.id
    WHERE d.added IS NOT NULL AND ST_Intersects(bl.pt, d.added)) hg
CROSS JOIN LATERAL (SELECT count(h.id) AS n FROM buildings bl JOIN households h ON h.building_id = bl.id
    WHERE d.removed IS NOT NULL AND ST_Intersects(bl.pt, d.removed)) hl
WHERE a.code IS NULL OR b.code IS NULL OR a.version <> b.version
ORDER BY coalesce(b.code, a.code)`

// StreamGridsDiff writes the grids added, removed or changed between from
// and to as Features (geometry: the newer shape; properties change,
// before/after geometries and areas, the area added and removed with the
// households in buildings there).
func (s *Store) StreamGridsDiff(ctx context.Context, from, to time.Time, parent string, w io.Writer) error {
	n, prefix := scopeArgs(parent)
	rows, err := s.pool.Query(ctx, gridsDiffSQL, from, to, n, prefix)
	if err != nil {
		return fmt.Errorf("store: diff: %w", err)
	}
	return streamFeatures(rows, w)
}
