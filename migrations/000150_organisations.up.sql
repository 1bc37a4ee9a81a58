-- Places and organisations (地、物、组织, issue #15 item 2). Enterprises, shops,
-- social organisations, schools and facilities are rows of `places` (the
-- inspection places of 000100): one table, one write path, one placement
-- rule, so an enterprise registered here is the place its workshop is
-- inspected under. What is new is a controlled list of kinds, the contact
-- and address of an organisation, its grid found by the lookup when none is
-- given, visits to it, and rental housing (出租房屋) on addresses.

-- The controlled list of place kinds (configurable: rows). domain says what
-- a kind is: an organisation (组织: a contact is kept), a facility (物:
-- hydrant, camera, …) or a part of a place (楼栋/楼层/房间/岗位 of the
-- fire-safety grid, inspected by checklist).
CREATE TABLE place_kinds (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
    name_zh text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en text NOT NULL CHECK (btrim(name_en) <> ''),
    domain  text NOT NULL CHECK (domain IN ('organisation', 'facility', 'part'))
);
INSERT INTO place_kinds (code, name_zh, name_en, domain) VALUES
 ('enterprise', '企业', 'enterprise', 'organisation'),
 ('shop', '商户', 'shop', 'organisation'),
 ('social_org', '社会组织', 'social organisation', 'organisation'),
 ('school', '学校', 'school', 'organisation'),
 ('kindergarten', '幼儿园', 'kindergarten', 'organisation'),
 ('clinic', '医疗机构', 'clinic', 'organisation'),
 ('party_org', '党组织', 'party organisation', 'organisation'),
 ('fire_hydrant', '消火栓', 'fire hydrant', 'facility'),
 ('camera', '监控探头', 'camera', 'facility'),
 ('public_toilet', '公共厕所', 'public toilet', 'facility'),
 ('aed', '除颤仪', 'defibrillator (AED)', 'facility'),
 ('ev_charger', '充电桩', 'e-bike charging point', 'facility'),
 ('manhole', '窨井盖', 'manhole cover', 'facility'),
 ('building', '楼栋', 'building', 'part'),
 ('floor', '楼层', 'floor', 'part'),
 ('school_lab', '实验室', 'school laboratory', 'part'),
 ('library', '图书室', 'library', 'part'),
 ('computer_room', '微机室', 'computer room', 'part'),
 ('finance_room', '财务室', 'finance room', 'part'),
 ('kitchen', '食堂厨房', 'kitchen', 'part'),
 ('workshop', '车间', 'workshop', 'part'),
 ('rental_house', '出租房屋', 'rental house', 'part'),
 ('self_built_house', '自建房', 'self-built house', 'part'),
 ('post', '岗位', 'post', 'part');
-- Kinds already stored (000100 took any lower-case word) join the list.
INSERT INTO place_kinds (code, name_zh, name_en, domain)
SELECT DISTINCT kind, kind, kind, 'part' FROM places ON CONFLICT DO NOTHING;

ALTER TABLE places
    ADD CONSTRAINT places_kind_listed FOREIGN KEY (kind) REFERENCES place_kinds (code) ON UPDATE CASCADE,
    -- An organisation's contact: a person's name and phone are personal
    -- data, masked in answers like a household's; never in tiles.
    ADD COLUMN contact_name text NOT NULL DEFAULT '' CHECK (length(contact_name) <= 64),
    ADD COLUMN phone        text NOT NULL DEFAULT '' CHECK (length(phone) <= 20),
    ADD COLUMN address      text NOT NULL DEFAULT '' CHECK (length(address) <= 200),
    ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now();
-- Counts per kind of a unit (the grid card, the report) are one range of it.
CREATE INDEX places_grid_kind ON places (grid_code text_pattern_ops, kind);

-- The organisation layer follows writes to places as the building layers
-- follow buildings (000010: one notification per statement, on commit).
CREATE TRIGGER places_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON places
    FOR EACH STATEMENT EXECUTE FUNCTION places_notify_change();

-- A visit is to a household or to an organisation (a place), never both.
ALTER TABLE visits
    ALTER COLUMN household_id DROP NOT NULL,
    ADD COLUMN place_id bigint REFERENCES places (id), -- a visited place is kept (history)
    ADD CONSTRAINT visits_one_target CHECK ((household_id IS NULL) <> (place_id IS NULL));
CREATE INDEX visits_place_at ON visits (place_id, visited_at DESC) WHERE place_id IS NOT NULL;

-- Rental housing (出租房屋): the address is let; its tenants are the persons
-- of the households living there (residence 流动 and so on, on persons).
ALTER TABLE addresses ADD COLUMN rental boolean NOT NULL DEFAULT false;
CREATE INDEX addresses_rental ON addresses (building_id) WHERE rental;
