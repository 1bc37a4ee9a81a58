-- Hotspot caches (issue #17) hold aggregates per time window; every instance
-- must drop the windows a changed case falls in. One NOTIFY per statement
-- (not per row: a COPY of a million cases sends one), carrying the span of
-- reported_at the statement touched, old and new rows alike (a case moved in
-- time, re-categorised or marked invalid changes both windows).
CREATE FUNCTION incidents_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lo timestamptz;
    hi timestamptz;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT min(reported_at), max(reported_at) INTO lo, hi FROM new_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT least(lo, min(reported_at)), greatest(hi, max(reported_at)) INTO lo, hi FROM old_rows;
    END IF;
    IF lo IS NOT NULL THEN
        PERFORM pg_notify('incident_changes', json_build_object(
            'from', extract(epoch FROM lo), 'to', extract(epoch FROM hi))::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER incidents_notify_ins AFTER INSERT ON incidents REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_notify_change();
CREATE TRIGGER incidents_notify_upd AFTER UPDATE ON incidents REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_notify_change();
CREATE TRIGGER incidents_notify_del AFTER DELETE ON incidents REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_notify_change();
