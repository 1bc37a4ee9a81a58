-- Coverage checks in SQL (PostGIS 3.3 has no ST_CoverageInvalidEdges): the
-- children of every unit must partition it. The same rules as the Go
-- validator geo/coverage, so the two can be checked against each other:
-- invalid geometry first (nothing else is computed on an invalid shape, since
-- GEOS overlays may throw on it), then overlaps among siblings, gaps (parent
-- minus the union of its children) and children reaching outside their parent.
-- Sizes are square metres on the ellipsoid (geography); defects smaller than
-- p_min_area are noise of floating-point overlay and are not reported.

-- coverage_defects lists the defects below p_root (the root itself included;
-- NULL: everywhere). One row per defect: kind (invalid_geometry, overlap, gap,
-- outside_parent), level of the units concerned, their parent, the codes
-- involved (a pair for an overlap, the bordering children for a gap), where
-- it is, its size (m², 0 for invalid geometry) and a message.
CREATE FUNCTION coverage_defects(p_root text DEFAULT NULL, p_min_area float8 DEFAULT 1.0)
RETURNS TABLE (kind text, level smallint, parent_code text, codes text[], geom geometry, size float8, message text)
LANGUAGE sql STABLE AS $$
WITH RECURSIVE scope AS (
    SELECT u.code FROM units u WHERE p_root IS NULL OR u.code = p_root
    UNION
    SELECT c.code FROM units c JOIN scope s ON c.parent_code = s.code WHERE p_root IS NOT NULL
),
members AS (
    SELECT u.code, u.parent_code, u.level, u.geom, ST_IsValid(u.geom) AS valid
    FROM units u WHERE u.code IN (SELECT code FROM scope)
),
invalid AS (
    SELECT 'invalid_geometry'::text AS kind, m.level, m.parent_code, ARRAY[m.code] AS codes,
           coalesce((ST_IsValidDetail(m.geom)).location, ST_PointOnSurface(m.geom)) AS geom, 0::float8 AS size,
           'invalid geometry: ' || ST_IsValidReason(m.geom) AS message
    FROM members m WHERE NOT m.valid
),
overlap_rows AS (
    SELECT 'overlap'::text, a.level, a.parent_code, ARRAY[a.code, b.code],
           o.geom, ST_Area(o.geom::geography), format('%s and %s overlap', a.code, b.code)
    FROM members a
    JOIN members b ON b.parent_code = a.parent_code AND a.code < b.code AND a.geom && b.geom
    CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS geom) o
    WHERE a.valid AND b.valid AND a.parent_code IS NOT NULL
      AND ST_Relate(a.geom, b.geom, '2********')
      AND ST_Area(o.geom::geography) >= p_min_area
),
families AS (
    SELECT p.code, p.level, p.geom, ST_Union(c.geom) AS children
    FROM members p JOIN units c ON c.parent_code = p.code
    WHERE p.valid
    GROUP BY p.code, p.level, p.geom
    HAVING bool_and(ST_IsValid(c.geom))
),
gap_parts AS (
    SELECT f.code AS parent_code, f.level + 1 AS level, d.geom
    FROM families f
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(ST_Difference(f.geom, f.children), 3)) d
    WHERE ST_Area(d.geom::geography) >= p_min_area
),
gap_rows AS (
    SELECT 'gap'::text, g.level::smallint, g.parent_code,
           ARRAY(SELECT c.code FROM units c WHERE c.parent_code = g.parent_code
                 AND c.geom && g.geom AND ST_Intersects(c.geom, g.geom) ORDER BY c.code),
           g.geom, ST_Area(g.geom::geography), format('gap in %s', g.parent_code)
    FROM gap_parts g
),
outside_rows AS (
    SELECT 'outside_parent'::text, c.level, c.parent_code, ARRAY[c.code],
           o.geom, ST_Area(o.geom::geography), format('%s reaches outside its parent %s', c.code, c.parent_code)
    FROM members c JOIN units p ON p.code = c.parent_code
    CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Difference(c.geom, p.geom), 3) AS geom) o
    WHERE c.valid AND ST_IsValid(p.geom) AND NOT ST_CoveredBy(c.geom, p.geom)
      AND ST_Area(o.geom::geography) >= p_min_area
)
SELECT * FROM invalid
UNION ALL SELECT * FROM overlap_rows
UNION ALL SELECT * FROM gap_rows
UNION ALL SELECT * FROM outside_rows
$$;

-- coverage_defects_all is every defect of the whole hierarchy, 1 m² and up.
CREATE VIEW coverage_defects_all AS SELECT * FROM coverage_defects(NULL, 1.0);
