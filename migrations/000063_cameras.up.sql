-- Cameras (监控点位) and their ground views, for the blind spots of a grid:
-- the grid minus the union of the views (issue 14). The view polygon is
-- computed from position, azimuth, angle and range on write (geo/camera), so
-- the blind-spot query is one spatial union. A few per grid, tens of
-- thousands in a city: region and grid indexed, views by GiST.
CREATE TABLE cameras (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    grid_code   text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    pt          geometry(Point, 4326) NOT NULL,
    azimuth     double precision NOT NULL CHECK (azimuth >= 0 AND azimuth < 360),
    angle       double precision NOT NULL CHECK (angle > 0 AND angle <= 360),
    range_m     double precision NOT NULL CHECK (range_m > 0 AND range_m <= 500),
    view        geometry(Polygon, 4326) NOT NULL,
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- A camera is named once in its region: a re-sent import or form is not a second camera.
    UNIQUE (region_code, name)
);
CREATE INDEX cameras_grid ON cameras (grid_code);
CREATE INDEX cameras_view_gist ON cameras USING gist (view);
