package demo

// SQL of the demo loader. The cells are the Voronoi diagram of the seeds
// clipped to the outline, built by noding all linework together and
// polygonising it, so neighbouring cells share exactly the same vertices (a
// valid coverage: no gap, no overlap, no T-junction). Coordinates are snapped
// to 1e-7 degree (about 1 cm), the precision of the GeoJSON the API writes.

// clearRegionSQL removes a previous demo of the region, children first; each
// statement takes the region code as $1.
var clearRegionSQL = []string{
	`DELETE FROM patrol_points WHERE region_code = $1`,
	`DELETE FROM incidents WHERE region_code = $1`,
	`DELETE FROM households WHERE region_code = $1`,
	`DELETE FROM addresses WHERE region_code = $1`,
	`DELETE FROM buildings WHERE region_code = $1`,
	`DELETE FROM users WHERE username LIKE 'gw\_%' AND left(unit_code, 6) = $1`,
	`DELETE FROM units WHERE region_code = $1 AND level = 5`,
	`DELETE FROM units WHERE region_code = $1 AND level = 4`,
	`DELETE FROM units WHERE region_code = $1 AND level = 3`,
	`DELETE FROM units WHERE region_code = $1 AND level = 2`,
	`DELETE FROM units WHERE region_code = $1 AND level = 1`,
	`DELETE FROM unit_versions WHERE region_code = $1`,
}

const seedTableSQL = `
CREATE TEMP TABLE demo_seed ON COMMIT DROP AS
SELECT n::int, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS s(x, y, n)`

const outlineTableSQL = `
CREATE TEMP TABLE demo_outline ON COMMIT DROP AS
SELECT ST_ReducePrecision(ST_SetSRID(ST_GeomFromWKB($1), 4326), 1e-7) AS geom`

// The cell steps run in order; each intermediate is a temp table with a GiST
// index, so matching 10,000 faces to 10,000 Voronoi cells is an index join,
// not a nested loop.
var cellTableSQL = []string{
	`CREATE INDEX ON demo_seed USING gist (pt)`,
	`CREATE TEMP TABLE demo_voronoi ON COMMIT DROP AS
SELECT s.n, v.geom
FROM (SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(s.pt), 0, ST_Expand(o.geom, 0.05)))).geom AS geom
      FROM demo_seed s, demo_outline o GROUP BY o.geom) v
JOIN demo_seed s ON ST_Contains(v.geom, s.pt)`,
	`CREATE INDEX ON demo_voronoi USING gist (geom)`,
	`CREATE TEMP TABLE demo_face ON COMMIT DROP AS
SELECT f.geom, ST_PointOnSurface(f.geom) AS pt
FROM (SELECT (ST_Dump(ST_Polygonize(l.geom))).geom AS geom
      FROM (SELECT ST_ReducePrecision(ST_Union(ST_Boundary(g)), 1e-7) AS geom
            FROM (SELECT ST_Intersection(v.geom, ST_Expand(o.geom, 0.01)) AS g FROM demo_voronoi v, demo_outline o
                  UNION ALL
                  SELECT geom FROM demo_outline) b) l) f, demo_outline o
WHERE ST_Contains(o.geom, ST_PointOnSurface(f.geom))`,
	`CREATE INDEX ON demo_face USING gist (pt)`,
	`CREATE TEMP TABLE demo_cell ON COMMIT DROP AS
SELECT v.n, ST_Multi(ST_Union(f.geom, 1e-7)) AS geom
FROM demo_face f JOIN demo_voronoi v ON ST_Contains(v.geom, f.pt)
GROUP BY v.n`,
}

const cellPointsSQL = `
SELECT n, ST_X(p), ST_Y(p) FROM (SELECT n, ST_PointOnSurface(geom) AS p FROM demo_cell) c ORDER BY n`

const insertDistrictSQL = `
INSERT INTO units (code, parent_code, level, name, kind, region_code, geom, reason)
SELECT $1, NULL, 1, $2, 'admin', left($1, 6), ST_Multi(ST_Union(geom, 1e-7)), 'demo'
FROM demo_cell`

// insertUnitsSQL creates streets ($4 = 2) or communities ($4 = 3) as the
// union of their cells: $1 seed n, $2 unit code, $3 unit name, $5 parent
// code, all aligned per seed.
const insertUnitsSQL = `
INSERT INTO units (code, parent_code, level, name, kind, region_code, geom, reason)
SELECT a.code, a.parent, $4, a.name, 'admin', left(a.code, 6), ST_Multi(ST_Union(c.geom, 1e-7)), 'demo'
FROM demo_cell c
JOIN unnest($1::int[], $2::text[], $3::text[], $5::text[]) AS a(n, code, name, parent) ON a.n = c.n
GROUP BY a.code, a.name, a.parent`

const insertGridsSQL = `
INSERT INTO units (code, parent_code, level, name, kind, region_code, geom, reason)
SELECT a.code, a.parent, 4, a.name, a.kind, left(a.code, 6), c.geom, 'demo'
FROM demo_cell c
JOIN unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS a(n, code, name, kind, parent) ON a.n = c.n`

const gridGeometriesSQL = `
SELECT code, kind, ST_AsBinary(geom) FROM units WHERE region_code = $1 AND level = 4 ORDER BY code`

const insertWorkersSQL = `
INSERT INTO users (username, password_hash, role, unit_code, display_name, phone)
SELECT 'gw_' || code, '!', 'officer', code, name, phone
FROM unnest($1::text[], $2::text[], $3::text[]) AS a(code, name, phone)
RETURNING id, unit_code`

const insertStaffSQL = `
INSERT INTO grid_staff (unit_code, role, name, phone, user_id, sort)
SELECT code, role, name, phone, nullif(uid, 0), sort
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::int[])
    AS a(code, role, name, phone, uid, sort)`

// reserveIDsSQL advances a sequence by $2 and returns the last value, so the
// loader can COPY rows with known ids that reference each other.
const reserveIDsSQL = `SELECT setval($1::regclass, nextval($1::regclass) + $2 - 1)`

const ensurePartitionsSQL = `SELECT ensure_patrol_partitions($1::date, $2::date)`
