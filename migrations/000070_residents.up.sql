-- Residents (人进户) and visits (走访). Sized for a city: 5M households,
-- ~15M persons; every large table carries region_code and the due-list
-- query is driven by (household_id) and (household_id, visited_at) indexes.

-- The controlled list of person categories; sensitive ones are readable only
-- with the unmask grant and each read is audited (internal/privacy).
CREATE TABLE person_categories (
    code      text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{2,32}$'),
    name_zh   text NOT NULL,
    name_en   text NOT NULL,
    sensitive boolean NOT NULL DEFAULT false
);
INSERT INTO person_categories (code, name_zh, name_en, sensitive) VALUES
 ('empty_nest', '空巢老人', 'empty-nest elderly', false),
 ('living_alone', '独居老人', 'elderly living alone', false),
 ('disabled', '残疾人', 'disabled', false),
 ('dibao', '低保', 'minimum living allowance', false),
 ('tekun', '特困', 'extreme hardship', false),
 ('p4050', '4050人员', '4050 unemployed', false),
 ('left_behind_child', '留守儿童', 'left-behind child', false),
 ('veteran', '退役军人', 'veteran', false),
 ('party_member', '党员', 'party member', false),
 ('floating', '流动人口', 'floating population', false),
 ('assisted', '帮扶对象', 'assistance target', false),
 ('community_correction', '社区矫正', 'community correction', true),
 ('released_prisoner', '刑满释放', 'released prisoner', true),
 ('drug_user', '吸毒人员', 'drug user', true),
 ('severe_mental', '严重精神障碍患者', 'severe mental disorder', true),
 ('key_person', '重点人员', 'key person', true);

CREATE TABLE persons (
    id           bigserial PRIMARY KEY,
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    -- NULL once moved out of every household; the history is person_moves.
    household_id bigint REFERENCES households (id) ON DELETE RESTRICT,
    name         text NOT NULL CHECK (name <> ''),
    id_number    text NOT NULL DEFAULT '',
    birth_date   date,
    phone        text NOT NULL DEFAULT '',
    relation     text NOT NULL DEFAULT '' CHECK (relation IN ('', 'head', 'spouse', 'child', 'parent', 'grandchild', 'sibling', 'tenant', 'other')),
    residence    text NOT NULL CHECK (residence IN ('registered', 'floating', 'separated', 'foreign')),
    categories   text[] NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_region ON persons (region_code);
CREATE INDEX persons_categories ON persons USING gin (categories);
-- One person (by ID number) lives in one household at a time.
CREATE UNIQUE INDEX persons_id_number ON persons (id_number) WHERE id_number <> '';

-- 迁入迁出: events, appended and never overwritten.
CREATE TABLE person_moves (
    id           bigserial PRIMARY KEY,
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    person_id    bigint NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('in', 'out')),
    household_id bigint REFERENCES households (id) ON DELETE SET NULL,
    on_date      date NOT NULL,
    note         text NOT NULL DEFAULT '',
    user_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_moves_person ON person_moves (person_id, id);
CREATE FUNCTION person_moves_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'person_moves is append-only'; END $$;
CREATE TRIGGER person_moves_no_update BEFORE UPDATE ON person_moves
    FOR EACH ROW EXECUTE FUNCTION person_moves_append_only();

-- Visit rules as data per unit (a unit and everything below it; the most
-- specific unit wins): category → months between visits. category '*' is the
-- rule for every household.
CREATE TABLE visit_rules (
    -- '' is the default from the schemes; a unit code overrides it below that unit.
    unit_code text NOT NULL CHECK (unit_code = '' OR unit_code ~ '^[0-9]{12}([0-9]{3})?$'),
    category  text NOT NULL, -- '*' or a person_categories code (checked by the service)
    months    smallint NOT NULL CHECK (months IN (1, 3, 6, 12)),
    PRIMARY KEY (unit_code, category)
);
-- 每月必访 key and hardship households; every household at least yearly.
INSERT INTO visit_rules (unit_code, category, months) VALUES
 ('', '*', 12),
 ('', 'empty_nest', 1), ('', 'living_alone', 1), ('', 'disabled', 1), ('', 'tekun', 1),
 ('', 'floating', 1), ('', 'assisted', 1), ('', 'community_correction', 1),
 ('', 'dibao', 3), ('', 'left_behind_child', 3), ('', 'severe_mental', 1), ('', 'key_person', 1),
 ('', 'released_prisoner', 3), ('', 'drug_user', 1), ('', 'p4050', 6), ('', 'veteran', 6), ('', 'party_member', 12);

CREATE TABLE visits (
    id              uuid PRIMARY KEY, -- chosen by the field device: retries store once
    region_code     text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    request_hash    bytea NOT NULL,
    user_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    household_id    bigint NOT NULL REFERENCES households (id) ON DELETE CASCADE,
    person_id       bigint REFERENCES persons (id) ON DELETE SET NULL,
    grid_code       text NOT NULL,
    visited_at      timestamptz NOT NULL,
    geom            geometry(Point, 4326) NOT NULL,
    distance_m      double precision NOT NULL,
    far             boolean NOT NULL, -- logged more than 2 km from the address
    answers         jsonb NOT NULL DEFAULT '{}',
    note            text NOT NULL DEFAULT '',
    follow_up       boolean NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visits_household_at ON visits (household_id, visited_at DESC);
CREATE INDEX visits_grid_at ON visits (grid_code, visited_at);
CREATE INDEX visits_region ON visits (region_code);
