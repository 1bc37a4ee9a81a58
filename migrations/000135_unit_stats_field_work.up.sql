-- Hazards and visits in the kept unit statistics (000040, issue #22), by
-- statement triggers as the incident keys (000053), counted at the grid and
-- every ancestor:
--   hazards_open     hazards not closed (open or overdue)
--   hazards_overdue  hazards past their rectification deadline
--   hazards_major    open hazards of severity major
--   visits_YYYY-MM   visits logged in that China-time month
-- A month's visits are one key, so "visits this month" at any level is the
-- same one indexed read as every other count.

CREATE FUNCTION unit_stats_hazard_keys(grid text, state text, severity text, sign int)
RETURNS TABLE (grid text, key text, n bigint) LANGUAGE sql IMMUTABLE AS $$
    SELECT grid, 'hazards_open', sign::bigint WHERE state <> 'closed'
    UNION ALL
    SELECT grid, 'hazards_overdue', sign::bigint WHERE state = 'overdue'
    UNION ALL
    SELECT grid, 'hazards_major', sign::bigint WHERE state <> 'closed' AND severity = 'major'
$$;

CREATE FUNCTION unit_stats_hazards_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM new_rows w, unit_stats_hazard_keys(w.grid_code, w.state, w.severity, 1) k
            GROUP BY 1, 2) k;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM old_rows o, unit_stats_hazard_keys(o.grid_code, o.state, o.severity, -1) k
            GROUP BY 1, 2) k;
    ELSE
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM old_rows o JOIN new_rows w ON w.id = o.id
                 AND (o.grid_code, o.state, o.severity) IS DISTINCT FROM (w.grid_code, w.state, w.severity),
            LATERAL (SELECT * FROM unit_stats_hazard_keys(o.grid_code, o.state, o.severity, -1)
                     UNION ALL
                     SELECT * FROM unit_stats_hazard_keys(w.grid_code, w.state, w.severity, 1)) k
            GROUP BY 1, 2) k;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER hazards_stats_ins AFTER INSERT ON hazards REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_hazards_trg();
CREATE TRIGGER hazards_stats_upd AFTER UPDATE ON hazards REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_hazards_trg();
CREATE TRIGGER hazards_stats_del AFTER DELETE ON hazards REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_hazards_trg();
CREATE TRIGGER hazards_stats_truncate AFTER TRUNCATE ON hazards
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_truncate_trg();

CREATE FUNCTION unit_stats_visit_key(visited_at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT 'visits_' || to_char(visited_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
$$;

CREATE FUNCTION unit_stats_visits_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT w.grid_code AS grid, unit_stats_visit_key(w.visited_at) AS key, count(*)::bigint AS n
            FROM new_rows w GROUP BY 1, 2) k;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT o.grid_code AS grid, unit_stats_visit_key(o.visited_at) AS key, -count(*)::bigint AS n
            FROM old_rows o GROUP BY 1, 2) k;
    ELSE
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM old_rows o JOIN new_rows w ON w.id = o.id
                 AND (o.grid_code, o.visited_at) IS DISTINCT FROM (w.grid_code, w.visited_at),
            LATERAL (VALUES (o.grid_code, unit_stats_visit_key(o.visited_at), -1::bigint),
                            (w.grid_code, unit_stats_visit_key(w.visited_at), 1::bigint)) k(grid, key, n)
            GROUP BY 1, 2) k;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER visits_stats_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_visits_trg();
CREATE TRIGGER visits_stats_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_visits_trg();
CREATE TRIGGER visits_stats_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_visits_trg();
CREATE TRIGGER visits_stats_truncate AFTER TRUNCATE ON visits
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_truncate_trg();

-- The full recount: 000053's body in full, plus the hazard and visit keys.
CREATE OR REPLACE FUNCTION unit_stats_recount_rows() RETURNS TABLE (code text, key text, n bigint) LANGUAGE sql STABLE AS $$
    SELECT a.code, d.key, sum(d.n)::bigint FROM (
        SELECT grid_code AS grid, 'buildings' AS key, count(*)::bigint AS n FROM buildings
        WHERE grid_code IS NOT NULL GROUP BY 1
        UNION ALL
        SELECT k.grid, k.key, sum(k.n)::bigint FROM households h JOIN buildings b ON b.id = h.building_id,
            unit_stats_household_keys(b.grid_code, 1, h.members, h.tags) k
        WHERE b.grid_code IS NOT NULL GROUP BY 1, 2
        UNION ALL
        SELECT k.grid, k.key, sum(k.n)::bigint FROM incidents i,
            unit_stats_incident_keys(coalesce(i.grid_code, i.community_code), i.status, i.overdue, 1) k
        WHERE k.grid IS NOT NULL GROUP BY 1, 2
        UNION ALL
        SELECT k.grid, k.key, sum(k.n)::bigint FROM hazards h,
            unit_stats_hazard_keys(h.grid_code, h.state, h.severity, 1) k GROUP BY 1, 2
        UNION ALL
        SELECT v.grid_code, unit_stats_visit_key(v.visited_at), count(*)::bigint FROM visits v GROUP BY 1, 2
    ) d, unnest(unit_ancestors(d.grid)) AS a(code)
    GROUP BY 1, 2 HAVING sum(d.n) <> 0
$$;

-- Backfill the new keys only (the others are kept already).
INSERT INTO unit_stat_deltas (code, key, n)
SELECT * FROM unit_stats_recount_rows() r WHERE r.key LIKE 'hazards\_%' OR r.key LIKE 'visits\_%';
