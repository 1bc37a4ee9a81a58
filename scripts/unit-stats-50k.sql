-- A 50,000-grid district for the unit-statistics read (README "Unit statistics"), inside one
-- transaction that is rolled back: on a database loaded by `wangge demo --scale 10000`, four copies of
-- every street's subtree (units and their kept counts) under new street numbers, then the district's read
-- (store.UnitStats' query) before and after.  psql "$DATABASE_URL" -f scripts/unit-stats-50k.sql
\timing off
\set q 'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) WITH u AS (SELECT code, name, level, 0 AS ord FROM units WHERE code = ''330199000000'' UNION ALL SELECT code, name, level, 1 FROM units WHERE parent_code = ''330199000000''), s AS (SELECT d.code, d.key, sum(d.n)::bigint AS n FROM unit_stat_deltas d WHERE d.code = ANY (ARRAY(SELECT code FROM u)) GROUP BY 1, 2 HAVING sum(d.n) <> 0) SELECT u.code, u.name, u.level, u.ord, coalesce(s.key, ''''), coalesce(s.n, 0) FROM u LEFT JOIN s ON s.code = u.code ORDER BY u.ord, u.code, s.key'
BEGIN;
SELECT 'district 10k: children', count(*) FROM units WHERE parent_code = '330199000000';
:q ;
:q ;
:q ;
-- Four copies of every street's subtree under new street numbers (+200, +400, +600, +800): a 50,000-grid district.
SET session_replication_role = replica; -- copies: no change events or history rows
INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
SELECT left(u.code, 6) || lpad((substr(u.code, 7, 3)::int + o)::text, 3, '0') || substr(u.code, 10),
       CASE WHEN u.level = 2 THEN u.parent_code ELSE left(u.parent_code, 6) || lpad((substr(u.parent_code, 7, 3)::int + o)::text, 3, '0') || substr(u.parent_code, 10) END,
       u.level, u.name || ' ' || o, u.kind, u.region_code, u.geom
FROM units u, unnest(ARRAY[200, 400, 600, 800]) o WHERE u.level BETWEEN 2 AND 4 ORDER BY u.level;
INSERT INTO unit_stat_deltas (code, key, n)
SELECT left(d.code, 6) || lpad((substr(d.code, 7, 3)::int + o)::text, 3, '0') || substr(d.code, 10), d.key, d.n
FROM unit_stat_deltas d, unnest(ARRAY[200, 400, 600, 800]) o WHERE d.code <> '330199000000' AND substr(d.code, 7, 3) <> '000';
INSERT INTO unit_stat_deltas (code, key, n) SELECT code, key, 4 * sum(n) FROM unit_stat_deltas WHERE code = '330199000000' GROUP BY 1, 2;
SET session_replication_role = origin;
ANALYZE units; ANALYZE unit_stat_deltas;
SELECT 'district 50k: grids', count(*) FROM units WHERE level = 4 AND left(code, 6) = '330199';
SELECT 'children', count(*) FROM units WHERE parent_code = '330199000000';
SELECT 'deltas', count(*) FROM unit_stat_deltas;
:q ;
:q ;
:q ;
:q ;
:q ;
ROLLBACK;
