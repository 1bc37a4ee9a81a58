-- Buildings and households feed map layers (footprints, household counts per
-- building and per unit). Any write to them is announced on channel
-- 'place_changes' once per statement (identical notifications of one
-- transaction are merged, and they are delivered on commit only), so every
-- server instance can reload those layers; bulk imports (COPY) cost one
-- notification, not one per row. Payload: the table name.
CREATE FUNCTION places_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('place_changes', TG_TABLE_NAME);
    RETURN NULL;
END $$;

CREATE TRIGGER buildings_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON buildings
    FOR EACH STATEMENT EXECUTE FUNCTION places_notify_change();
CREATE TRIGGER households_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON households
    FOR EACH STATEMENT EXECUTE FUNCTION places_notify_change();
