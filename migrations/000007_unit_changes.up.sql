-- Every change to a unit is announced on channel 'unit_changes', from the
-- writing transaction itself (delivered on commit, dropped on rollback), so
-- every server instance can refresh its in-memory grid index and drop the
-- map tiles under the old and new shapes. Payload: JSON with op, code,
-- level, and the old and new bounding boxes [minLon, minLat, maxLon, maxLat].
CREATE FUNCTION units_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o units;
    n units;
BEGIN
    IF TG_OP <> 'INSERT' THEN o := OLD; END IF;
    IF TG_OP <> 'DELETE' THEN n := NEW; END IF;
    PERFORM pg_notify('unit_changes', json_build_object(
        'op', lower(TG_OP),
        'code', coalesce(n.code, o.code),
        'level', coalesce(n.level, o.level),
        'old_bbox', CASE WHEN o.code IS NULL THEN NULL ELSE
            json_build_array(ST_XMin(o.geom), ST_YMin(o.geom), ST_XMax(o.geom), ST_YMax(o.geom)) END,
        'new_bbox', CASE WHEN n.code IS NULL THEN NULL ELSE
            json_build_array(ST_XMin(n.geom), ST_YMin(n.geom), ST_XMax(n.geom), ST_YMax(n.geom)) END
    )::text);
    RETURN NULL;
END $$;

CREATE TRIGGER units_notify_change AFTER INSERT OR UPDATE OR DELETE ON units
    FOR EACH ROW EXECUTE FUNCTION units_notify_change();
