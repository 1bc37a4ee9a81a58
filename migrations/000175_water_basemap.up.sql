-- The district's water (rivers, canals, lakes: OSM waterway lines and
-- natural=water areas, imported like the street network of migration 64),
-- and both as map layers under the grids (issue 19): every write to either
-- table is announced on place_changes once per statement, payload the table
-- name, so every instance reloads those two layers only.
CREATE TABLE water (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    name        text NOT NULL DEFAULT '',
    kind        text NOT NULL DEFAULT '',   -- e.g. OSM waterway=river, natural=water
    geom        geometry(Geometry, 4326) NOT NULL
        CHECK (GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING', 'POLYGON', 'MULTIPOLYGON'))
);
CREATE INDEX water_region ON water (region_code);
CREATE INDEX water_geom_gist ON water USING gist (geom);

CREATE TRIGGER streets_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON streets
    FOR EACH STATEMENT EXECUTE FUNCTION places_notify_change();
CREATE TRIGGER water_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON water
    FOR EACH STATEMENT EXECUTE FUNCTION places_notify_change();
