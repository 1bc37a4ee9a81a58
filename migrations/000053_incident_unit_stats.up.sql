-- Open cases in the kept unit statistics (000040, issue #22): keys
-- 'incidents_open' (not closed or invalid) and 'incidents_overdue' (open and
-- overdue), kept by statement triggers on incidents, counted at the case's
-- grid and every ancestor. A case outside every grid counts at the community
-- it was routed to (and above), as its list does.

CREATE FUNCTION unit_stats_incident_keys(unit text, status text, overdue boolean, sign int)
RETURNS TABLE (grid text, key text, n bigint) LANGUAGE sql IMMUTABLE AS $$
    SELECT unit, 'incidents_open', sign::bigint WHERE status NOT IN ('closed', 'invalid')
    UNION ALL
    SELECT unit, 'incidents_overdue', sign::bigint WHERE overdue AND status NOT IN ('closed', 'invalid')
$$;

-- Updates touch only the rows whose place, state or overdue flag changed:
-- a transition that leaves a case open (accepted → dispatched) adds nothing.
CREATE FUNCTION unit_stats_incidents_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM new_rows w, unit_stats_incident_keys(coalesce(w.grid_code, w.community_code), w.status, w.overdue, 1) k
            GROUP BY 1, 2) k;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM old_rows o, unit_stats_incident_keys(coalesce(o.grid_code, o.community_code), o.status, o.overdue, -1) k
            GROUP BY 1, 2) k;
    ELSE
        PERFORM unit_stats_add(array_agg(k.grid), array_agg(k.key), array_agg(k.n)) FROM (
            SELECT k.grid, k.key, sum(k.n)::bigint AS n
            FROM old_rows o JOIN new_rows w ON w.id = o.id
                 AND (o.grid_code, o.community_code, o.status, o.overdue) IS DISTINCT FROM (w.grid_code, w.community_code, w.status, w.overdue),
            LATERAL (SELECT * FROM unit_stats_incident_keys(coalesce(o.grid_code, o.community_code), o.status, o.overdue, -1)
                     UNION ALL
                     SELECT * FROM unit_stats_incident_keys(coalesce(w.grid_code, w.community_code), w.status, w.overdue, 1)) k
            GROUP BY 1, 2) k;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_stats_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_incidents_trg();
CREATE TRIGGER incidents_stats_upd AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_incidents_trg();
CREATE TRIGGER incidents_stats_del AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_incidents_trg();
CREATE TRIGGER incidents_stats_truncate AFTER TRUNCATE ON incidents
    FOR EACH STATEMENT EXECUTE FUNCTION unit_stats_truncate_trg();

-- The full recount: 000040's body in full, plus the incident keys.
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
    ) d, unnest(unit_ancestors(d.grid)) AS a(code)
    GROUP BY 1, 2 HAVING sum(d.n) <> 0
$$;

-- Backfill the new keys only (the others are kept already).
INSERT INTO unit_stat_deltas (code, key, n)
SELECT * FROM unit_stats_recount_rows() r WHERE r.key IN ('incidents_open', 'incidents_overdue');
