-- 人进户、户进房、房进网格: a household lives at an address, an address is in a
-- building, a building is in exactly one grid (by its representative point).
-- Large tables carry region_code (the 6-digit county) so they can later be
-- distributed by region.

CREATE TABLE buildings (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    grid_code   text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL,
    name        text NOT NULL DEFAULT '',
    estate      text NOT NULL DEFAULT '',   -- 小区
    building_no text NOT NULL DEFAULT '',   -- 楼栋
    floors      smallint CHECK (floors IS NULL OR floors > 0),
    footprint   geometry(Polygon, 4326) CHECK (footprint IS NULL OR ST_IsValid(footprint)),
    -- The point that decides the grid: given, or a point on the footprint.
    pt          geometry(Point, 4326) NOT NULL
);
CREATE INDEX buildings_pt_gist ON buildings USING gist (pt);
CREATE INDEX buildings_footprint_gist ON buildings USING gist (footprint);
CREATE INDEX buildings_grid ON buildings (grid_code);
CREATE INDEX buildings_region ON buildings (region_code);

-- Standard addresses: community / 小区 / 楼栋 / 单元 / 室 plus free text.
CREATE TABLE addresses (
    id             bigserial PRIMARY KEY,
    region_code    text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    building_id    bigint NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
    community_code text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL,
    estate         text NOT NULL DEFAULT '',
    building_no    text NOT NULL DEFAULT '',
    unit_no        text NOT NULL DEFAULT '',   -- 单元
    room           text NOT NULL DEFAULT '',   -- 室
    free_text      text NOT NULL DEFAULT '',
    aliases        text[] NOT NULL DEFAULT '{}',
    full_text      text NOT NULL
);
CREATE INDEX addresses_building ON addresses (building_id);
CREATE INDEX addresses_region ON addresses (region_code);
CREATE INDEX addresses_community ON addresses (community_code);
CREATE INDEX addresses_full_text_trgm ON addresses USING gin (full_text gin_trgm_ops);

-- Households hold personal data (names, ID numbers, phones, tags such as
-- 空巢老人, 低保, 残疾, 重点人员): never in tiles, exports or statistics, masked
-- in responses by default. Their grid is their building's grid.
CREATE TABLE households (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    building_id bigint NOT NULL REFERENCES buildings (id) ON DELETE RESTRICT,
    address_id  bigint REFERENCES addresses (id) ON DELETE SET NULL,
    head_name   text NOT NULL,
    id_number   text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    members     smallint NOT NULL CHECK (members BETWEEN 0 AND 99),
    tags        text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX households_building ON households (building_id);
CREATE INDEX households_region ON households (region_code);
CREATE INDEX households_address ON households (address_id);
CREATE INDEX households_tags ON households USING gin (tags);
