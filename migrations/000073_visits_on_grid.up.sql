-- Visits get the on-grid trigger of migration 000030 (units, buildings,
-- incidents): a visit's point is put on the 1e-7° grid whatever the writer,
-- not only by store.RecordVisit's rounding; visits stored before are snapped.
-- Bulk cost measured by BenchmarkVisitInsertOnGrid (internal/store): see the
-- README.
CREATE FUNCTION visits_on_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.geom := on_grid(NEW.geom);
    RETURN NEW;
END $$;

UPDATE visits SET geom = on_grid(geom) WHERE ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom));

CREATE TRIGGER visits_0_on_grid BEFORE INSERT OR UPDATE OF geom ON visits
    FOR EACH ROW EXECUTE FUNCTION visits_on_grid();
