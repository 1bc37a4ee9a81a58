-- Safety inspections and hazard rectification (安全检查与隐患整改, issue #16):
-- places inside a (dedicated) grid, versioned checklists, inspections and
-- the hazards they open.
--
-- Scale: a city has tens of thousands of schools, enterprises and rental
-- houses, a few million places and inspections by the million a year. Every
-- hot read is an index range: places by grid, inspections by place in time
-- order, hazards by unit prefix and state, the sweep by deadline of the open
-- ones only.

-- A place: building, floor, department, room or post (定人、定岗、定责) inside a
-- grid, a point with an optional outline, and a named responsible person.
CREATE TABLE places (
    id                   bigserial PRIMARY KEY,
    grid_code            text NOT NULL REFERENCES units (code) ON UPDATE CASCADE,
    parent_id            bigint REFERENCES places (id),
    kind                 text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{1,39}$'),
    name                 text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    pt                   geometry(Point, 4326) NOT NULL,
    polygon              geometry(MultiPolygon, 4326) CHECK (polygon IS NULL OR ST_IsValid(polygon)),
    responsible_staff_id bigint REFERENCES staff (id),
    region_code          text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    created_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT places_region_is_grid CHECK (region_code = left(grid_code, 6))
);
CREATE INDEX places_grid ON places (grid_code text_pattern_ops, id);
CREATE INDEX places_parent ON places (parent_id);
CREATE INDEX places_staff ON places (responsible_staff_id) WHERE responsible_staff_id IS NOT NULL;
CREATE INDEX places_pt_gist ON places USING gist (pt);

-- A checklist (检查表) for a kind of place. A stored version never changes (the
-- trigger refuses it): a changed checklist is a new version, so every
-- inspection is read against the items it was made with.
CREATE TABLE inspection_templates (
    code       text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_.]{1,62}$'),
    version    integer NOT NULL CHECK (version >= 1),
    kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{1,39}$'),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    -- [{"code", "text", "judged_by": "pass_fail"|"number"|"photo", "min"?, "max"?,
    --   "severity": "general"|"major", "rectify_days"}]
    items      jsonb NOT NULL CHECK (jsonb_typeof(items) = 'array' AND jsonb_array_length(items) > 0),
    schedule   text NOT NULL CHECK (schedule IN ('daily', 'weekly', 'monthly', 'semester')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (code, version)
);
CREATE INDEX inspection_templates_kind ON inspection_templates (kind, code, version DESC);

CREATE FUNCTION inspection_templates_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'inspection template %/% is stored; a change is a new version', OLD.code, OLD.version
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER inspection_templates_frozen BEFORE UPDATE OR DELETE ON inspection_templates
    FOR EACH ROW EXECUTE FUNCTION inspection_templates_frozen();

-- Seeded fire-safety checklists (消防安全检查). Severity: 一般隐患 general,
-- 重大隐患 major; rectify_days: working days to rectify.
INSERT INTO inspection_templates (code, version, kind, name, schedule, items) VALUES
('school.lab', 1, 'school_lab', '实验室消防安全检查 School laboratory', 'weekly', '[
  {"code": "extinguisher_present", "text": "灭火器配备齐全 Extinguishers present", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "extinguisher_in_date", "text": "灭火器在有效期内 Extinguishers in date", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "安全出口、疏散通道畅通 Exits and escape routes clear", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "wiring", "text": "电气线路无私拉乱接、老化 Wiring sound, no improvised cables", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "gas", "text": "燃气管路、阀门无泄漏 Gas pipes and valves tight", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "chemicals_storage", "text": "危险化学品分类存放、双人双锁 Chemicals stored apart, two locks", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "extinguisher_pressure", "text": "灭火器压力（MPa） Extinguisher pressure (MPa)", "judged_by": "number", "min": 1.0, "max": 1.4, "severity": "general", "rectify_days": 5},
  {"code": "photo", "text": "现场照片 Photo of the room", "judged_by": "photo", "severity": "general", "rectify_days": 5}
]'),
('school.library', 1, 'library', '图书室消防安全检查 Library', 'monthly', '[
  {"code": "extinguisher_present", "text": "灭火器配备齐全 Extinguishers present", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "extinguisher_in_date", "text": "灭火器在有效期内 Extinguishers in date", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "安全出口、疏散通道畅通 Exits and escape routes clear", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "wiring", "text": "电气线路无私拉乱接 Wiring sound", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "no_smoking", "text": "禁止吸烟、无明火 No smoking, no open flame", "judged_by": "pass_fail", "severity": "general", "rectify_days": 3}
]'),
('school.computer_room', 1, 'computer_room', '微机室消防安全检查 Computer room', 'monthly', '[
  {"code": "extinguisher_present", "text": "灭火器配备齐全（二氧化碳） CO2 extinguishers present", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "extinguisher_in_date", "text": "灭火器在有效期内 Extinguishers in date", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "安全出口畅通 Exits clear", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "wiring", "text": "插座不超负荷、线路规范 Sockets not overloaded, wiring sound", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "power_off", "text": "下课断电 Power off after class", "judged_by": "pass_fail", "severity": "general", "rectify_days": 3}
]'),
('school.finance_room', 1, 'finance_room', '财务室消防安全检查 Finance room', 'monthly', '[
  {"code": "extinguisher_present", "text": "灭火器配备齐全 Extinguishers present", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "extinguisher_in_date", "text": "灭火器在有效期内 Extinguishers in date", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "wiring", "text": "电气线路规范 Wiring sound", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "paper_storage", "text": "票据档案远离火源 Paper records away from heat", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5}
]'),
('school.kitchen', 1, 'kitchen', '食堂厨房消防安全检查 Kitchen', 'daily', '[
  {"code": "extinguisher_present", "text": "灭火器、灭火毯配备齐全 Extinguishers and fire blanket present", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "gas", "text": "燃气管路、阀门无泄漏，报警器有效 Gas tight, detector working", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "flue_clean", "text": "烟道油污已清理 Flue free of grease", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "安全出口畅通 Exits clear", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1}
]'),
('enterprise.workshop', 1, 'workshop', '企业车间安全生产检查 Enterprise workshop', 'weekly', '[
  {"code": "extinguisher_present", "text": "灭火器、消火栓完好 Extinguishers and hydrants in order", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "extinguisher_in_date", "text": "灭火器在有效期内 Extinguishers in date", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "安全出口、疏散通道畅通 Exits and escape routes clear", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "wiring", "text": "电气线路规范，无私拉乱接 Wiring sound", "judged_by": "pass_fail", "severity": "major", "rectify_days": 3},
  {"code": "flammables_storage", "text": "易燃易爆物品专区存放 Flammables stored apart", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "no_dormitory", "text": "无“三合一”住人 Nobody sleeps in the workshop", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1}
]'),
('house.rental', 1, 'rental_house', '出租房屋消防安全检查 Rental house', 'monthly', '[
  {"code": "extinguisher_present", "text": "每层配备灭火器 Extinguisher on every floor", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "疏散通道畅通、无防盗窗封死 Escape routes clear, no fixed bars", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "ebike_charging", "text": "电动车不在室内、楼道充电 No e-bike charging indoors", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1},
  {"code": "wiring", "text": "电气线路规范 Wiring sound", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "gas", "text": "燃气使用规范 Gas used safely", "judged_by": "pass_fail", "severity": "major", "rectify_days": 1}
]'),
('house.self_built', 1, 'self_built_house', '自建房安全排查 Self-built house', 'semester', '[
  {"code": "structure", "text": "房屋结构无明显裂缝、倾斜 No visible cracks or tilt", "judged_by": "pass_fail", "severity": "major", "rectify_days": 10},
  {"code": "extinguisher_present", "text": "配备灭火器 Extinguisher present", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "exits_clear", "text": "疏散通道畅通 Escape routes clear", "judged_by": "pass_fail", "severity": "major", "rectify_days": 2},
  {"code": "wiring", "text": "电气线路规范 Wiring sound", "judged_by": "pass_fail", "severity": "general", "rectify_days": 5},
  {"code": "flammables_storage", "text": "无易燃物堆放 No flammables piled up", "judged_by": "pass_fail", "severity": "general", "rectify_days": 3},
  {"code": "photo", "text": "外观照片 Photo of the house", "judged_by": "photo", "severity": "general", "rectify_days": 5}
]');

-- An inspection, keyed by the id the phone generated (retries carry it).
CREATE TABLE inspections (
    id               uuid PRIMARY KEY,
    request_hash     bytea NOT NULL,
    place_id         bigint NOT NULL REFERENCES places (id),
    template_code    text NOT NULL,
    template_version integer NOT NULL,
    inspector_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    inspector_name   text NOT NULL,
    inspected_at     timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    pt               geometry(Point, 4326) NOT NULL,
    distance_m       double precision NOT NULL,
    -- The phone was more than 150 m from the place: kept, flagged (far).
    far              boolean NOT NULL,
    passed           boolean NOT NULL,
    results          jsonb NOT NULL,
    region_code      text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    FOREIGN KEY (template_code, template_version) REFERENCES inspection_templates (code, version)
);
CREATE INDEX inspections_place_time ON inspections (place_id, template_code, inspected_at DESC);
CREATE INDEX inspections_inspector_time ON inspections (inspector_id, inspected_at DESC);

-- A hazard (隐患) found by a failed item, rectified by a deadline and closed
-- by a passing re-inspection of the same place and item.
CREATE TABLE hazards (
    id                   bigserial PRIMARY KEY,
    inspection_id        uuid NOT NULL REFERENCES inspections (id),
    place_id             bigint NOT NULL REFERENCES places (id),
    grid_code            text NOT NULL,
    item                 text NOT NULL,
    item_text            text NOT NULL,
    severity             text NOT NULL CHECK (severity IN ('general', 'major')),
    note                 text NOT NULL DEFAULT '',
    responsible_staff_id bigint REFERENCES staff (id),
    found_at             timestamptz NOT NULL,
    deadline             timestamptz NOT NULL,
    state                text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'overdue', 'closed')),
    closed_by_inspection uuid REFERENCES inspections (id),
    closed_at            timestamptz,
    escalated_at         timestamptz,
    region_code          text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    CHECK ((state = 'closed') = (closed_by_inspection IS NOT NULL))
);
-- One hazard of a place's item is open at a time (a failing re-inspection
-- leaves it as it is).
CREATE UNIQUE INDEX hazards_one_open ON hazards (place_id, item) WHERE state <> 'closed';
CREATE INDEX hazards_unit_state ON hazards (grid_code text_pattern_ops, state, deadline);
CREATE INDEX hazards_due_open ON hazards (deadline) WHERE state = 'open';
CREATE INDEX hazards_inspection ON hazards (inspection_id);
