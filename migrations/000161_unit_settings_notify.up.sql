-- The grids map layer carries each grid's place against its band (over,
-- under, ok), which unit settings decide: a settings write is announced on
-- 'place_changes' (000010) like a household write, once per statement on
-- commit, so every instance reloads the layers that count households.
CREATE TRIGGER unit_settings_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON unit_settings
    FOR EACH STATEMENT EXECUTE FUNCTION places_notify_change();
