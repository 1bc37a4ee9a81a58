-- A jurisdiction of one's own (issue 12): more dedicated-grid kinds, per-unit
-- settings inherited down the tree, and the grid force (网格力量): people,
-- their photos, their assignments to units with dates, approvals and
-- stand-ins. The public card (grid_staff) stays the one table lookups read;
-- assignments project into it, so the existing change events reach every
-- instance.

-- Dedicated grids the schemes name: 企业, 学校, 园区, 市场, 机关, 封闭小区.
ALTER TABLE units DROP CONSTRAINT units_kind;
ALTER TABLE units ADD CONSTRAINT units_kind CHECK (
    (level = 4 AND kind IN ('basic', 'enterprise', 'school', 'industrial_park', 'market',
                            'government', 'closed_estate', 'other')) OR
    (level <> 4 AND kind = 'admin'));

-- Settings a unit sets for itself and its subtree; NULL inherits from the
-- parent (the nearest ancestor that sets it), then the built-in default.
CREATE TABLE unit_settings (
    code                text PRIMARY KEY REFERENCES units (code) ON UPDATE CASCADE ON DELETE CASCADE,
    households_min      integer CHECK (households_min >= 0),
    households_max      integer CHECK (households_max > 0),
    people_min          integer CHECK (people_min >= 0),
    people_max          integer CHECK (people_max > 0),
    patrol_hours_week   numeric(5, 1) CHECK (patrol_hours_week >= 0 AND patrol_hours_week <= 168),
    staff_min_age       smallint CHECK (staff_min_age BETWEEN 14 AND 99),
    staff_max_age       smallint CHECK (staff_max_age BETWEEN 14 AND 99),
    -- Working calendar: {"workdays":[1,2,3,4,5],"start":"08:30","end":"17:30","holidays":["2027-01-01"]}
    calendar            jsonb CHECK (calendar IS NULL OR jsonb_typeof(calendar) = 'object'),
    supervision_phone   text CHECK (supervision_phone IS NULL OR supervision_phone ~ '^[0-9+() -]{3,32}$'),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          text,
    CHECK (households_min IS NULL OR households_max IS NULL OR households_min <= households_max),
    CHECK (people_min IS NULL OR people_max IS NULL OR people_min <= people_max),
    CHECK (staff_min_age IS NULL OR staff_max_age IS NULL OR staff_min_age <= staff_max_age)
);

-- People of the grid force. Not a large table (one row per person, tens of
-- thousands for a city); personal fields (birth date) never leave through
-- the public card.
CREATE TABLE staff (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 64),
    phone             text NOT NULL CHECK (phone ~ '^[0-9+() -]{3,32}$'),
    post              text NOT NULL DEFAULT '' CHECK (length(post) <= 64),      -- 职务
    duties            text NOT NULL DEFAULT '' CHECK (length(duties) <= 500),   -- 分工
    birth_date        date,
    supervision_phone text NOT NULL DEFAULT '' CHECK (supervision_phone = '' OR supervision_phone ~ '^[0-9+() -]{3,32}$'),
    user_id           bigint REFERENCES users (id) ON DELETE SET NULL,
    photo_id          bigint,
    retired_at        timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_user ON staff (user_id);

-- Photos live outside the staff row (a card read never drags image bytes).
CREATE TABLE staff_photos (
    id           bigserial PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    width        integer NOT NULL CHECK (width > 0),
    height       integer NOT NULL CHECK (height > 0),
    data         bytea NOT NULL,
    thumb        bytea NOT NULL,   -- JPEG, at most 240 px on the long side
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_photos_staff ON staff_photos (staff_id);
ALTER TABLE staff ADD CONSTRAINT staff_photo_fk FOREIGN KEY (photo_id) REFERENCES staff_photos (id) ON DELETE SET NULL;

-- Who serves where, from when to when (history: rows are ended, never
-- deleted). Grid roles at levels 4/5, community 网格长 at 3, street
-- 网格指导员 at 2. A replacement of a grid's worker waits (pending) for a
-- second account at street level or above.
CREATE TABLE staff_assignments (
    id           bigserial PRIMARY KEY,
    staff_id     bigint NOT NULL REFERENCES staff (id),
    unit_code    text NOT NULL REFERENCES units (code) ON UPDATE CASCADE ON DELETE CASCADE,
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    role         text NOT NULL CHECK (role IN ('grid_leader', 'grid_worker', 'part_time_worker', 'informant',
                                               'building_leader', 'police', 'volunteer', 'grid_instructor')),
    from_date    date NOT NULL,
    to_date      date CHECK (to_date IS NULL OR to_date >= from_date),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'rejected')),
    replaces_id  bigint REFERENCES staff_assignments (id),
    requested_by text NOT NULL,
    decided_by   text,
    decided_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (region_code = left(unit_code, 6))
);
CREATE INDEX staff_assignments_unit ON staff_assignments (unit_code, from_date);
CREATE INDEX staff_assignments_staff ON staff_assignments (staff_id);
CREATE INDEX staff_assignments_region ON staff_assignments (region_code);

-- Leave with a stand-in (A/B 角): while A is away, B answers for A's units.
CREATE TABLE staff_leaves (
    id          bigserial PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff (id),
    stand_in_id bigint NOT NULL REFERENCES staff (id),
    from_date   date NOT NULL,
    to_date     date NOT NULL CHECK (to_date >= from_date),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (stand_in_id <> staff_id)
);
CREATE INDEX staff_leaves_staff ON staff_leaves (staff_id, from_date);

-- The card row an assignment projects to (NULL: rows written by the demo).
ALTER TABLE grid_staff DROP CONSTRAINT grid_staff_role_check;
ALTER TABLE grid_staff ADD CONSTRAINT grid_staff_role_check CHECK (role IN ('grid_leader', 'grid_worker',
    'part_time_worker', 'informant', 'building_leader', 'police', 'volunteer', 'grid_instructor'));
ALTER TABLE grid_staff ADD COLUMN assignment_id bigint UNIQUE REFERENCES staff_assignments (id) ON DELETE CASCADE;
ALTER TABLE grid_staff ADD COLUMN staff_id bigint REFERENCES staff (id);
ALTER TABLE grid_staff ADD COLUMN stand_in_for text NOT NULL DEFAULT '';
