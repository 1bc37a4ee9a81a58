-- Patrol hours in the kept unit statistics (000040, issue #22):
--   patrol_s_YYYY-MM  seconds patrolled in that China-time month (patrol_days.day
--                     is already a China date), whole seconds per worker-day.
-- A worker-day belongs to the unit the worker patrolled for that day: the
-- grid of their card (the lowest code when they have several, as the patrol
-- summary and the assessment read it), an officer's own unit otherwise. It is
-- written on the day's row when the sweep computes it, so a later
-- reassignment does not move past months; the unit's parent is kept beside
-- it, so a grid deleted by a boundary edit leaves its hours with its
-- community rather than losing them from every level above.
ALTER TABLE patrol_days
    ADD COLUMN unit_code   text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL,
    ADD COLUMN parent_code text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL;
-- The foreign keys' actions look rows up by these columns on a unit delete.
CREATE INDEX patrol_days_unit ON patrol_days (unit_code);
CREATE INDEX patrol_days_parent ON patrol_days (parent_code);

UPDATE patrol_days d SET unit_code = w.unit_code, parent_code = u.parent_code
FROM (SELECT user_id, min(unit_code) AS unit_code FROM patrol_workers GROUP BY 1) w
JOIN units u ON u.code = w.unit_code
WHERE w.user_id = d.user_id;

CREATE FUNCTION unit_stats_patrol_key(day date) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'patrol_s_' || to_char(day, 'YYYY-MM')
$$;

CREATE FUNCTION unit_stats_patrol_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT coalesce(w.unit_code, w.parent_code) AS grid, unit_stats_patrol_key(w.day) AS key,
                   sum(round(w.patrol_seconds))::bigint AS n
            FROM new_rows w GROUP BY 1, 2) k;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT coalesce(o.unit_code, o.parent_code) AS grid, unit_stats_patrol_key(o.day) AS key,
                   -sum(round(o.patrol_seconds))::bigint AS n
            FROM old_rows o GROUP BY 1, 2) k;
    ELSE -- the day itself may change (no row id to pair by): out with the old rows, in with the new
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n FROM (
                SELECT coalesce(o.unit_code, o.parent_code) AS grid, unit_stats_patrol_key(o.day) AS key,
                       -round(o.patrol_seconds)::bigint AS n FROM old_rows o
                UNION ALL
                SELECT coalesce(w.unit_code, w.parent_code), unit_stats_patrol_key(w.day), round(w.patrol_seconds)::bigint
                FROM new_rows w) k
            GROUP BY 1, 2) k;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER patrol_days_stats_ins AFTER INSERT ON patrol_days REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_patrol_trg();
CREATE TRIGGER patrol_days_stats_upd AFTER UPDATE ON patrol_days REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_patrol_trg();
CREATE TRIGGER patrol_days_stats_del AFTER DELETE ON patrol_days REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_patrol_trg();
CREATE TRIGGER patrol_days_stats_truncate AFTER TRUNCATE ON patrol_days
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_truncate_trg();

-- The full recount: 000135's body in full, plus the patrol keys.
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
        UNION ALL
        SELECT coalesce(p.unit_code, p.parent_code), unit_stats_patrol_key(p.day), sum(round(p.patrol_seconds))::bigint
        FROM patrol_days p GROUP BY 1, 2
    ) d, unnest(unit_ancestors(d.grid)) AS a(code)
    WHERE d.grid IS NOT NULL
    GROUP BY 1, 2 HAVING sum(d.n) <> 0
$$;

-- Backfill the new keys only (the others are kept already).
INSERT INTO unit_stat_deltas (code, key, n)
SELECT * FROM unit_stats_recount_rows() r WHERE r.key LIKE 'patrol\_s\_%';
