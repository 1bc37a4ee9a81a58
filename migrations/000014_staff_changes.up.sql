-- A change to a grid's staff card (公示牌: 网格长, 网格员, 信息员 and their
-- phones) is announced on 'unit_changes' too, as op 'staff', so every
-- instance's lookup answers show the new card. Map tiles carry no staff and
-- ignore these events. Bounding boxes are null: the shape did not change.
CREATE FUNCTION grid_staff_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c text;
BEGIN
    FOR c IN SELECT DISTINCT x FROM unnest(ARRAY[
                 CASE WHEN TG_OP <> 'INSERT' THEN OLD.unit_code END,
                 CASE WHEN TG_OP <> 'DELETE' THEN NEW.unit_code END]) AS x WHERE x IS NOT NULL LOOP
        PERFORM pg_notify('unit_changes', json_build_object(
            'op', 'staff', 'code', u.code, 'level', u.level)::text)
        FROM units u WHERE u.code = c;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER grid_staff_notify_change AFTER INSERT OR UPDATE OR DELETE ON grid_staff
    FOR EACH ROW EXECUTE FUNCTION grid_staff_notify_change();
