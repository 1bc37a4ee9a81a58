-- The street network of a district (an OSM-style line layer, imported), for
-- the share of street length a worker walked in their grids (issue 14), kept
-- per worker-day beside the area coverage. NULL: no streets loaded there.
CREATE TABLE streets (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    name        text NOT NULL DEFAULT '',
    kind        text NOT NULL DEFAULT '',   -- e.g. OSM highway=residential
    geom        geometry(LineString, 4326) NOT NULL
);
CREATE INDEX streets_region ON streets (region_code);
CREATE INDEX streets_geom_gist ON streets USING gist (geom);

ALTER TABLE patrol_days ADD COLUMN street_ratio double precision;
