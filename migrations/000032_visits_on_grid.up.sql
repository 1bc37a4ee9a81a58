-- Visits get the on-grid trigger of migration 000030 (units, buildings,
-- incidents): a visit's point is put on the 1e-7° grid whatever the writer,
-- not only by store.RecordVisit's rounding. Bulk cost measured by
-- BenchmarkVisitInsertOnGrid (internal/store): see the README.
CREATE FUNCTION visits_on_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom := on_grid(NEW.geom);
    RETURN NEW;
END $$;

-- attach_visits_on_grid snaps the stored visits and puts the trigger on the
-- table, once; it does nothing while visits does not exist.
CREATE FUNCTION attach_visits_on_grid() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('visits') IS NULL THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'visits'::regclass AND tgname = 'visits_0_on_grid') THEN
        RETURN;
    END IF;
    UPDATE visits SET geom = on_grid(geom) WHERE ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom));
    CREATE TRIGGER visits_0_on_grid BEFORE INSERT OR UPDATE OF geom ON visits
        FOR EACH ROW EXECUTE FUNCTION visits_on_grid();
END $$;

-- On an existing database visits (migration 000070) is there: attach now.
-- On a new one this file runs before 000070 creates it, so the trigger is
-- attached when the migration that made visits is recorded (the runner
-- inserts each applied version into schema_migrations in that migration's
-- transaction), and that hook then removes itself.
SELECT attach_visits_on_grid();

CREATE FUNCTION schema_migrations_attach_visits_on_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF to_regclass('visits') IS NOT NULL THEN
        PERFORM attach_visits_on_grid();
        DROP TRIGGER attach_visits_on_grid ON schema_migrations;
    END IF;
    RETURN NULL;
END $$;

DO $$
BEGIN
    IF to_regclass('visits') IS NULL THEN
        CREATE TRIGGER attach_visits_on_grid AFTER INSERT ON schema_migrations
            FOR EACH ROW EXECUTE FUNCTION schema_migrations_attach_visits_on_grid();
    END IF;
END $$;
