-- Grid worker assessment (网格员效能评价, issue 18): versioned rule sets per
-- unit, the few facts no other record holds (training attendance, phone spot
-- checks, dispatch-call checks) and each unit's months with the result frozen
-- when a month is closed. Everything else a score needs is read from the
-- incidents, patrol_days and visits records.

-- Rule sets: one row per version, never changed once written, so a month
-- scored with version N can always be scored again with it. unit_code '' is
-- the default every unit falls back to; otherwise a street/township code.
CREATE TABLE assessment_rules (
    unit_code  text NOT NULL CHECK (unit_code = '' OR unit_code ~ '^[0-9]{12}$'),
    version    integer NOT NULL CHECK (version >= 1),
    rules      jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_code, version)
);
CREATE FUNCTION assessment_rules_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'assessment_rules versions are immutable: add a new version'; END $$;
CREATE TRIGGER assessment_rules_no_change BEFORE UPDATE OR DELETE ON assessment_rules
    FOR EACH ROW EXECUTE FUNCTION assessment_rules_immutable();

-- The published scheme as the default (internal/assessment.Default; a test keeps them equal).
INSERT INTO assessment_rules (unit_code, version, rules, created_by, created_at) VALUES ('', 1, '{"name":"城乡网格员常态化效能评价 (default)","total":100,"items":[{"code":"training","name":"培训学习","kind":"training","points":10,"each":{"points":2,"money":0}},{"code":"visits","name":"矛盾排查·房屋隐患·重点人员走访","kind":"visits","points":20,"each":{"points":2,"money":0}},{"code":"patrol","name":"巡查时长","kind":"patrol","points":20,"target":10,"per_grid":true,"each":{"points":0,"money":0}},{"code":"incidents","name":"事件上报","kind":"incidents","points":30,"target":25,"per_grid":true,"each":{"points":3,"money":0}},{"code":"phone","name":"电话畅通","kind":"phone","points":20,"each":{"points":5,"money":30}},{"code":"dispatch","name":"调度抽查","kind":"dispatch","points":0,"each":{"points":0,"money":0},"by_level":{"city":{"points":15,"money":120},"county":{"points":10,"money":100},"province":{"points":20,"money":150}}}],"ranking":{"bottom_count":1,"bottom_months":3},"grades":[{"name":"优秀","min":90},{"name":"良好","min":80},{"name":"合格","min":60},{"name":"不合格"}]}', 'migration', '2000-01-01T00:00:00Z');

-- Training sessions of a unit and who came: every grid worker of the unit is
-- expected; present or excused rows clear them, anyone else is an unexcused
-- absence.
CREATE TABLE training_sessions (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    unit_code   text NOT NULL REFERENCES units (code) ON UPDATE CASCADE ON DELETE CASCADE,
    title       text NOT NULL CHECK (btrim(title) <> '' AND length(title) <= 200),
    held_on     date NOT NULL,
    recorded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX training_sessions_unit_day ON training_sessions (unit_code text_pattern_ops, held_on);
CREATE INDEX training_sessions_region_day ON training_sessions (region_code, held_on);

CREATE TABLE training_attendance (
    session_id  bigint NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    status      text NOT NULL CHECK (status IN ('present', 'excused', 'absent')),
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    recorded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX training_attendance_user ON training_attendance (user_id);

-- Phone spot checks (电话抽查) of supervisors: answered or not.
CREATE TABLE phone_spot_checks (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    called_at   timestamptz NOT NULL,
    answered    boolean NOT NULL,
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    recorded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phone_spot_checks_user_time ON phone_spot_checks (user_id, called_at);
CREATE INDEX phone_spot_checks_region_time ON phone_spot_checks (region_code, called_at);

-- Dispatch-call checks (调度抽查) found missed by a province, city or county check.
CREATE TABLE dispatch_checks (
    id          bigserial PRIMARY KEY,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('province', 'city', 'county')),
    checked_at  timestamptz NOT NULL,
    note        text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    recorded_by bigint REFERENCES users (id) ON DELETE SET NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dispatch_checks_user_time ON dispatch_checks (user_id, checked_at);
CREATE INDEX dispatch_checks_region_time ON dispatch_checks (region_code, checked_at);

-- A unit's month: open (scored live from the records) or closed (results
-- frozen as they were, with the rules version used). Reopening needs a
-- second account and a reason; the audit log keeps both.
CREATE TABLE assessment_months (
    unit_code     text NOT NULL CHECK (unit_code ~ '^[0-9]{12}$'),
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    region_code   text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    rules_unit    text NOT NULL,
    rules_version integer NOT NULL,
    state         text NOT NULL CHECK (state IN ('open', 'closed')),
    results       jsonb,
    closed_by     text,
    closed_at     timestamptz,
    reopened_by   text,
    reopened_at   timestamptz,
    reopen_reason text,
    PRIMARY KEY (unit_code, month),
    FOREIGN KEY (rules_unit, rules_version) REFERENCES assessment_rules (unit_code, version),
    CHECK (state = 'open' OR (results IS NOT NULL AND closed_by IS NOT NULL))
);
