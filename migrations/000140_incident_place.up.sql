-- The placement rule of a case's point, as functions (issue #13, report
-- ingest): the report path places a whole batch in one SELECT before it
-- inserts, so it knows each case's unit and deadline and writes every case
-- once, in one multi-row INSERT, instead of an INSERT and an UPDATE a
-- report. The incidents_place trigger uses the same functions, so the rule
-- is written once: the grid that contains the point (the smallest code on a
-- shared edge), else the nearest community (outside).

CREATE FUNCTION nearest_community(p geometry) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT u.code FROM units u WHERE u.level = 3 ORDER BY u.geom <-> p, u.code LIMIT 1
$$;

-- A set-returning SQL function, so a LATERAL call is inlined into the caller's plan.
CREATE FUNCTION incident_place(p geometry) RETURNS TABLE (grid_code text, community_code text)
LANGUAGE sql STABLE PARALLEL SAFE ROWS 1 AS $$
    SELECT g.code, coalesce(left(g.code, 12), nearest_community(p))
    FROM (SELECT (SELECT u.code FROM units u WHERE u.level = 4 AND u.geom && p AND ST_Intersects(u.geom, p)
                  ORDER BY u.code LIMIT 1) AS code) g
$$;

-- An INSERT that names a grid keeps it; one that names no grid but a
-- community was placed outside by incident_place already and keeps that
-- community; one that names neither is placed here. A boundary edit that
-- takes a case out of every grid routes it to the nearest community.
CREATE OR REPLACE FUNCTION incidents_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.grid_code IS NULL AND NEW.community_code IS NULL THEN
        SELECT p.grid_code, p.community_code INTO NEW.grid_code, NEW.community_code FROM incident_place(NEW.pt) p;
    ELSIF TG_OP = 'UPDATE' AND NEW.grid_code IS NULL THEN
        NEW.community_code := nearest_community(NEW.pt);
    END IF;
    IF NEW.grid_code IS NOT NULL THEN
        NEW.community_code := left(NEW.grid_code, 12);
        NEW.outside := false;
    ELSE
        NEW.outside := true;
    END IF;
    IF NEW.community_code IS NOT NULL THEN
        NEW.region_code := left(NEW.community_code, 6);
    END IF;
    RETURN NEW;
END $$;
