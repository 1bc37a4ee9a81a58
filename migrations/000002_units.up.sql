-- The administrative tree and its grids (网格): district 区/县 → street 街道/乡镇
-- → community 社区/村 → grid 网格 → (optional) estate 小区. One table for all
-- levels, because every level is a polygon with a code and a parent, and the
-- checks (children partition their parent) are the same at every level.

CREATE TABLE unit_levels (
    level   smallint PRIMARY KEY,
    name    text NOT NULL UNIQUE,
    name_zh text NOT NULL
);
INSERT INTO unit_levels VALUES
    (1, 'district',  '区/县'),
    (2, 'street',    '街道/乡镇'),
    (3, 'community', '社区/村'),
    (4, 'grid',      '网格'),
    (5, 'estate',    '小区');

-- Codes: admin units use the 12-digit statistical division code
-- (6 county + 3 township + 3 village); a grid extends its community's code with
-- a 3-digit sequence (15 digits), an estate extends its grid's code with 3 more.
CREATE TABLE units (
    code        text PRIMARY KEY,
    parent_code text REFERENCES units (code) ON UPDATE CASCADE,
    level       smallint NOT NULL REFERENCES unit_levels (level),
    name        text NOT NULL CHECK (btrim(name) <> ''),
    kind        text NOT NULL,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    version     integer NOT NULL DEFAULT 1,
    valid_from  timestamptz NOT NULL DEFAULT now(),
    updated_by  text,
    reason      text,
    CONSTRAINT units_code_format CHECK (
        (level <= 3 AND code ~ '^[0-9]{12}$') OR
        (level = 4 AND code ~ '^[0-9]{15}$') OR
        (level = 5 AND code ~ '^[0-9]{18}$')),
    -- A child's code extends its parent's: street shares the county digits,
    -- community the township digits, grid and estate the whole parent code.
    CONSTRAINT units_code_extends_parent CHECK (
        parent_code IS NULL OR
        (level = 2 AND left(code, 6) = left(parent_code, 6)) OR
        (level = 3 AND left(code, 9) = left(parent_code, 9)) OR
        (level >= 4 AND left(code, length(parent_code)) = parent_code)),
    CONSTRAINT units_region_is_county CHECK (region_code = left(code, 6)),
    -- Dedicated grids (专属网格: enterprise, school) are kinds of grid; admin
    -- units and estates are 'admin'.
    CONSTRAINT units_kind CHECK (
        (level = 4 AND kind IN ('basic', 'enterprise', 'school', 'other')) OR
        (level <> 4 AND kind = 'admin')),
    CONSTRAINT units_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX units_geom_gist ON units USING gist (geom);
CREATE INDEX units_parent ON units (parent_code);
CREATE INDEX units_level_region ON units (level, region_code);

-- Every version of every unit (history, 动态调整): the current one has
-- valid_to NULL. Maintained by triggers on units, so no writer can forget it.
CREATE TABLE unit_versions (
    code        text NOT NULL,
    version     integer NOT NULL,
    parent_code text,
    level       smallint NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL,
    region_code text NOT NULL,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    changed_by  text,
    reason      text,
    PRIMARY KEY (code, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX unit_versions_geom_gist ON unit_versions USING gist (geom);
CREATE INDEX unit_versions_period ON unit_versions (level, valid_from, valid_to);
CREATE UNIQUE INDEX unit_versions_one_current ON unit_versions (code) WHERE valid_to IS NULL;

CREATE FUNCTION units_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    NEW.valid_from := now();
    RETURN NEW;
END $$;

CREATE FUNCTION units_record_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    who text := coalesce(current_setting('wangge.user', true), '');
    why text := coalesce(current_setting('wangge.reason', true), '');
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE unit_versions SET valid_to = now()
         WHERE code = OLD.code AND valid_to IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO unit_versions (code, version, parent_code, level, name, kind,
                                   region_code, geom, valid_from, changed_by, reason)
        VALUES (NEW.code, NEW.version, NEW.parent_code, NEW.level, NEW.name, NEW.kind,
                NEW.region_code, NEW.geom, NEW.valid_from,
                coalesce(NEW.updated_by, nullif(who, '')), coalesce(NEW.reason, nullif(why, '')));
    ELSE
        -- A deletion is a version too: who removed it and why.
        UPDATE unit_versions SET changed_by = coalesce(nullif(who, ''), changed_by),
                                 reason = coalesce(nullif(why, ''), reason)
         WHERE code = OLD.code AND version = OLD.version AND nullif(who, '') IS NOT NULL;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER units_before_update BEFORE UPDATE ON units
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION units_before_update();
CREATE TRIGGER units_record_version AFTER INSERT OR UPDATE OR DELETE ON units
    FOR EACH ROW EXECUTE FUNCTION units_record_version();
