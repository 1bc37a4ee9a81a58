-- The re-check after a grid write (grid.Commit), incremental: only the
-- children of one unit (the community of the edited grids) whose boxes meet
-- the envelope of the change, and the gaps inside that envelope. The rules
-- are those of coverage_defects (migration 000011) restricted to p_env: an
-- edit changes nothing outside the box of its old and new shapes, so any
-- defect it made is there. Rows have coverage_defects' columns; a gap that
-- reaches out of the envelope is reported as its part inside it.
CREATE FUNCTION coverage_defects_near(p_parent text, p_env geometry, p_min_area float8 DEFAULT 1.0)
RETURNS TABLE (kind text, level smallint, parent_code text, codes text[], geom geometry, size float8, message text)
LANGUAGE sql STABLE AS $$
WITH members AS (
    SELECT u.code, u.parent_code, u.level, u.geom, ST_IsValid(u.geom) AS valid
    FROM units u WHERE u.parent_code = p_parent AND u.geom && p_env
),
parent AS (
    SELECT p.code, p.level, p.geom FROM units p WHERE p.code = p_parent AND ST_IsValid(p.geom)
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
    JOIN members b ON a.code < b.code AND a.geom && b.geom
    CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 3) AS geom) o
    WHERE a.valid AND b.valid
      AND ST_Relate(a.geom, b.geom, '2********')
      AND ST_Area(o.geom::geography) >= p_min_area
),
gap_parts AS (
    SELECT p.code AS parent_code, p.level + 1 AS level, d.geom
    FROM parent p
    CROSS JOIN LATERAL (SELECT ST_Union(m.geom) AS children FROM members m) c
    CROSS JOIN LATERAL ST_Dump(ST_CollectionExtract(
        ST_Difference(ST_Intersection(p.geom, p_env), coalesce(c.children, 'SRID=4326;GEOMETRYCOLLECTION EMPTY'::geometry)), 3)) d
    WHERE NOT EXISTS (SELECT 1 FROM members m WHERE NOT m.valid)
      AND ST_Area(d.geom::geography) >= p_min_area
),
gap_rows AS (
    SELECT 'gap'::text, g.level::smallint, g.parent_code,
           ARRAY(SELECT m.code FROM members m WHERE m.geom && g.geom AND ST_Intersects(m.geom, g.geom) ORDER BY m.code),
           g.geom, ST_Area(g.geom::geography), format('gap in %s', g.parent_code)
    FROM gap_parts g
),
outside_rows AS (
    SELECT 'outside_parent'::text, c.level, c.parent_code, ARRAY[c.code],
           o.geom, ST_Area(o.geom::geography), format('%s reaches outside its parent %s', c.code, c.parent_code)
    FROM members c JOIN parent p ON p.code = c.parent_code
    CROSS JOIN LATERAL (SELECT ST_CollectionExtract(ST_Difference(c.geom, p.geom), 3) AS geom) o
    WHERE c.valid AND NOT ST_CoveredBy(c.geom, p.geom)
      AND ST_Area(o.geom::geography) >= p_min_area
)
SELECT * FROM invalid
UNION ALL SELECT * FROM overlap_rows
UNION ALL SELECT * FROM gap_rows
UNION ALL SELECT * FROM outside_rows
$$;

-- As coverage_defects (migration 000012): costly PostGIS calls cross the JIT
-- threshold for nothing.
ALTER FUNCTION coverage_defects_near(text, geometry, float8) SET jit = off;
