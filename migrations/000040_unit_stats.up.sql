-- Counts per unit (issue #22), kept current on write by statement-level
-- triggers with transition tables: one aggregated INSERT per statement, so a
-- COPY of a million households costs one grouped insert, not a million row
-- updates. Counts are stored as deltas (code, key, n) appended for the grid
-- and every ancestor (community, street, district) and summed on read: no
-- UPDATE of a hot district row, so concurrent writers never wait on each other.
-- unit_stats_compact() folds the deltas into one row per (code, key).
--
-- Adding a count (incidents #13, patrol #14, visits #15, hazards #16): pick a
-- key (e.g. 'incidents_open:new'), write a statement trigger on your table that
-- computes per-grid deltas from its transition tables and calls
-- unit_stats_add(grids, keys, ns); add the key's full recount to
-- unit_stats_recount_rows(). Readers need no change: keys are returned as they are.
CREATE TABLE unit_stat_deltas (
    code text NOT NULL,
    key  text NOT NULL,
    n    bigint NOT NULL
);
CREATE INDEX unit_stat_deltas_code ON unit_stat_deltas (code, key);

-- The unit itself and its ancestors by code prefix (15-digit grid → community,
-- street, district; 18-digit estate → grid too).
CREATE FUNCTION unit_ancestors(c text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE length(c)
        WHEN 18 THEN ARRAY[c, left(c, 15), left(c, 12), left(c, 9) || '000', left(c, 6) || '000000']
        WHEN 15 THEN ARRAY[c, left(c, 12), left(c, 9) || '000', left(c, 6) || '000000']
        WHEN 12 THEN CASE
            WHEN right(c, 6) = '000000' THEN ARRAY[c]
            WHEN right(c, 3) = '000' THEN ARRAY[c, left(c, 6) || '000000']
            ELSE ARRAY[c, left(c, 9) || '000', left(c, 6) || '000000'] END
        ELSE ARRAY[c] END
$$;

-- unit_stats_add appends per-grid deltas for the grid and all its ancestors.
CREATE FUNCTION unit_stats_add(grids text[], keys text[], ns bigint[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO unit_stat_deltas (code, key, n)
    SELECT a.code, d.key, sum(d.n)
    FROM unnest(grids, keys, ns) AS d(grid, key, n), unnest(unit_ancestors(d.grid)) AS a(code)
    WHERE d.grid IS NOT NULL AND d.n <> 0
    GROUP BY 1, 2 HAVING sum(d.n) <> 0
$$;

-- Household contributions of a set of (grid, sign, members, tags) rows.
CREATE FUNCTION unit_stats_household_keys(grid text, sign int, members int, tags text[])
RETURNS TABLE (grid text, key text, n bigint) LANGUAGE sql IMMUTABLE AS $$
    SELECT grid, 'households', sign::bigint
    UNION ALL SELECT grid, 'people', (sign * members)::bigint
    UNION ALL SELECT grid, 'tag:' || t, sign::bigint FROM unnest(tags) AS t
$$;

CREATE FUNCTION unit_stats_households_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM old_rows o JOIN buildings b ON b.id = o.building_id,
                 unit_stats_household_keys(b.grid_code, -1, o.members, o.tags) k
            GROUP BY 1, 2) k;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM new_rows o JOIN buildings b ON b.id = o.building_id,
                 unit_stats_household_keys(b.grid_code, 1, o.members, o.tags) k
            GROUP BY 1, 2) k;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER households_stats_ins AFTER INSERT ON households REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_households_trg();
CREATE TRIGGER households_stats_upd AFTER UPDATE ON households REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_households_trg();
CREATE TRIGGER households_stats_del AFTER DELETE ON households REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_households_trg();

-- Buildings: their own count, and on a grid change (a boundary edit, a unit
-- deleted or renamed by cascade) their households move with them.
CREATE FUNCTION unit_stats_buildings_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM unit_stats_add(array_agg(grid_code), array_agg('buildings'::text), array_agg(n))
        FROM (SELECT grid_code, count(*) AS n FROM new_rows GROUP BY 1) x;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM unit_stats_add(array_agg(grid_code), array_agg('buildings'::text), array_agg(-n))
        FROM (SELECT grid_code, count(*) AS n FROM old_rows GROUP BY 1) x;
    ELSE
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n FROM (
                SELECT o.grid_code AS grid, 'buildings' AS key, -1::bigint AS n
                FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE o.grid_code IS DISTINCT FROM w.grid_code
                UNION ALL
                SELECT w.grid_code, 'buildings', 1
                FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE o.grid_code IS DISTINCT FROM w.grid_code
                UNION ALL
                SELECT hk.grid, hk.key, hk.n
                FROM old_rows o JOIN new_rows w ON w.id = o.id AND o.grid_code IS DISTINCT FROM w.grid_code
                JOIN households h ON h.building_id = o.id,
                LATERAL (SELECT * FROM unit_stats_household_keys(o.grid_code, -1, h.members, h.tags)
                         UNION ALL SELECT * FROM unit_stats_household_keys(w.grid_code, 1, h.members, h.tags)) hk
            ) k GROUP BY 1, 2) k;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER buildings_stats_ins AFTER INSERT ON buildings REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_buildings_trg();
CREATE TRIGGER buildings_stats_upd AFTER UPDATE ON buildings REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_buildings_trg();
CREATE TRIGGER buildings_stats_del AFTER DELETE ON buildings REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_buildings_trg();

-- The full recount, per unit and key, from the base tables: the backfill, the
-- exactness test's reference, and the repair after a TRUNCATE.
CREATE FUNCTION unit_stats_recount_rows() RETURNS TABLE (code text, key text, n bigint) LANGUAGE sql STABLE AS $$
    SELECT a.code, d.key, sum(d.n)::bigint FROM (
        SELECT grid_code AS grid, 'buildings' AS key, count(*)::bigint AS n FROM buildings
        WHERE grid_code IS NOT NULL GROUP BY 1
        UNION ALL
        SELECT k.grid, k.key, sum(k.n)::bigint FROM households h JOIN buildings b ON b.id = h.building_id,
            unit_stats_household_keys(b.grid_code, 1, h.members, h.tags) k
        WHERE b.grid_code IS NOT NULL GROUP BY 1, 2
    ) d, unnest(unit_ancestors(d.grid)) AS a(code)
    GROUP BY 1, 2 HAVING sum(d.n) <> 0
$$;

CREATE FUNCTION unit_stats_recount() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE unit_stat_deltas IN EXCLUSIVE MODE;
    DELETE FROM unit_stat_deltas;
    INSERT INTO unit_stat_deltas (code, key, n) SELECT * FROM unit_stats_recount_rows();
END $$;

-- Fold deltas into one row per (code, key); concurrent appends are kept (they
-- are not in the DELETE's snapshot) and the sums are unchanged.
CREATE FUNCTION unit_stats_compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE folded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('unit_stats_compact'));
    WITH d AS (DELETE FROM unit_stat_deltas RETURNING code, key, n),
    s AS (INSERT INTO unit_stat_deltas (code, key, n)
          SELECT code, key, sum(n) FROM d GROUP BY 1, 2 HAVING sum(n) <> 0 RETURNING 1)
    SELECT (SELECT count(*) FROM d) - (SELECT count(*) FROM s) INTO folded;
    RETURN folded;
END $$;

CREATE FUNCTION unit_stats_truncate_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM unit_stats_recount();
    RETURN NULL;
END $$;
CREATE TRIGGER buildings_stats_truncate AFTER TRUNCATE ON buildings
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_truncate_trg();
CREATE TRIGGER households_stats_truncate AFTER TRUNCATE ON households
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_truncate_trg();

-- Backfill.
INSERT INTO unit_stat_deltas (code, key, n) SELECT * FROM unit_stats_recount_rows();
