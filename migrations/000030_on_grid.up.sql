-- Every stored geometry lies on the 1e-7° grid (about 1 cm), the precision
-- of every answer and export (internal/grid.Precision), so what is read back
-- is exactly what was written and two shapes that agree to 7 decimals are
-- equal. Existing rows are snapped once; triggers snap every later write,
-- whatever the writer, so nothing off the grid can be stored.

-- on_grid puts g on the 1e-7° grid: each coordinate becomes the double nearest
-- its 7-decimal rounding, as Go's grid.Round does (so on_grid is the identity
-- on what grid.Round wrote), and repeated vertices go. Not ST_SnapToGrid: it
-- multiplies by 1e-7, which for about a third of the coordinates gives a
-- neighbouring double (120.11032929999999 for 120.1103293). Deterministic per
-- vertex, so a vertex shared by two grids stays shared.
CREATE FUNCTION on_grid(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN GeometryType(g) = 'POINT'
        THEN ST_SetSRID(ST_MakePoint(round(ST_X(g)::numeric, 7)::float8, round(ST_Y(g)::numeric, 7)::float8), ST_SRID(g))
        ELSE ST_RemoveRepeatedPoints(ST_GeomFromEWKT(ST_AsEWKT(g, 7)))
    END
$$;

-- Snap existing rows in place, without new unit versions: the history is
-- snapped alike, and the coverage (gaps, overlaps) must not get worse.
DO $$
DECLARE
    bad text;
    before_n bigint;
    after_n bigint;
BEGIN
    SELECT string_agg(code, ', ') INTO bad FROM (
        SELECT code FROM units WHERE NOT ST_IsValid(on_grid(geom)) ORDER BY code LIMIT 20) s;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'units not valid on the 1e-7° grid (fix them first): %', bad;
    END IF;
    SELECT count(*) INTO before_n FROM coverage_defects(NULL, 1.0);
    ALTER TABLE units DISABLE TRIGGER USER;
    UPDATE units SET geom = on_grid(geom) WHERE ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom));
    ALTER TABLE units ENABLE TRIGGER USER;
    UPDATE unit_versions SET geom = on_grid(geom) WHERE ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom));
    SELECT count(*) INTO after_n FROM coverage_defects(NULL, 1.0);
    IF after_n > before_n THEN
        RAISE EXCEPTION 'snapping to the 1e-7° grid made % coverage defects (was %)', after_n, before_n;
    END IF;
    ALTER TABLE buildings DISABLE TRIGGER USER;
    UPDATE buildings SET pt = on_grid(pt), footprint = on_grid(footprint)
     WHERE ST_AsEWKB(pt) <> ST_AsEWKB(on_grid(pt))
        OR ST_AsEWKB(footprint) <> ST_AsEWKB(on_grid(footprint));
    ALTER TABLE buildings ENABLE TRIGGER USER;
    UPDATE incidents SET pt = on_grid(pt) WHERE ST_AsEWKB(pt) <> ST_AsEWKB(on_grid(pt));
    -- visits (migration 000070) may come after this file on a new database;
    -- its writer (internal/store/visits.go) rounds to 7 decimals itself.
    IF to_regclass('visits') IS NOT NULL THEN
        UPDATE visits SET geom = on_grid(geom) WHERE ST_AsEWKB(geom) <> ST_AsEWKB(on_grid(geom));
    END IF;
END $$;

-- The units trigger is named to fire first among the BEFORE triggers (they
-- run in name order), so units_before_update sees the snapped row and an
-- edit that changes nothing on the grid makes no new version.
-- Rounding can make a shape invalid (a computed vertex within 1e-7° of an
-- edge crosses it); such a shape is snap-rounded instead (GEOS noding on
-- the grid, valid by construction; on_grid after it only picks the nearest
-- double), and the writer's coverage re-check judges the result.
CREATE FUNCTION units_on_grid() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    given geometry := NEW.geom;
BEGIN
    NEW.geom := on_grid(given);
    IF NOT ST_IsValid(NEW.geom) THEN
        NEW.geom := ST_Multi(ST_CollectionExtract(on_grid(ST_ReducePrecision(given, 1e-7)), 3));
    END IF;
    IF NOT ST_IsValid(NEW.geom) OR ST_IsEmpty(NEW.geom) THEN
        RAISE EXCEPTION 'unit %: geometry not valid on the 1e-7° grid: %', NEW.code, ST_IsValidReason(NEW.geom)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER units_0_on_grid BEFORE INSERT OR UPDATE OF geom ON units
    FOR EACH ROW EXECUTE FUNCTION units_on_grid();

CREATE FUNCTION buildings_on_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.pt := on_grid(NEW.pt);
    NEW.footprint := on_grid(NEW.footprint);
    RETURN NEW;
END $$;
CREATE TRIGGER buildings_0_on_grid BEFORE INSERT OR UPDATE OF pt, footprint ON buildings
    FOR EACH ROW EXECUTE FUNCTION buildings_on_grid();

-- Patrol points (tens of millions a day) have no trigger: a row trigger
-- made their insert 2.6–3.3× slower (200,000 rows, same run); their two
-- writers (store.AddFixes and store.CopyFixes) round in Go at no cost, as
-- the demo does. Existing raw points are left as they are (they are dropped
-- with their daily partitions).
CREATE FUNCTION incidents_on_grid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.pt := on_grid(NEW.pt);
    RETURN NEW;
END $$;
CREATE TRIGGER incidents_0_on_grid BEFORE INSERT OR UPDATE OF pt ON incidents
    FOR EACH ROW EXECUTE FUNCTION incidents_on_grid();


-- An update that the snap makes a no-op (a shape moved by less than the
-- grid) keeps its version (units_before_update does not fire); it must not
-- record that version again either.
DROP TRIGGER units_record_version ON units;
CREATE TRIGGER units_record_version AFTER INSERT OR DELETE ON units
    FOR EACH ROW EXECUTE FUNCTION units_record_version();
CREATE TRIGGER units_record_version_update AFTER UPDATE ON units
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION units_record_version();
