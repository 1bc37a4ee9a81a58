-- Incidents (事件, issue #13): the category catalogue, the workflow columns of
-- a case, its history with photos, the working calendar its deadlines count
-- on, photo storage (media) and Open311 client keys.
--
-- Scale: millions of cases per city. One table, not partitioned: cases stay
-- open for weeks and are read by grid, by state and by deadline, not dropped
-- by time, so every hot read has its own btree (one grid's list is an index
-- range scan in reported_at order; the deadline sweep reads a partial index of
-- open cases only).

CREATE TABLE incident_categories (
    code          text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_.]{1,62}$'),
    parent_code   text REFERENCES incident_categories (code) ON UPDATE CASCADE,
    name_zh       text NOT NULL CHECK (btrim(name_zh) <> ''),
    name_en       text NOT NULL CHECK (btrim(name_en) <> ''),
    -- 一般 routine, 协调 coordination, 突发 emergency, 审批 approval
    handling_type text NOT NULL CHECK (handling_type IN ('routine', 'coordination', 'emergency', 'approval')),
    -- Time limit on the working calendar: working hours (8 a working day).
    limit_hours   integer NOT NULL CHECK (limit_hours BETWEEN 1 AND 2000),
    department    text NOT NULL DEFAULT '',
    -- 矛盾纠纷 follow the mediation path (驻片调处 → 两委会商 → 书面上报 → 归口办理).
    dispute       boolean NOT NULL DEFAULT false,
    active        boolean NOT NULL DEFAULT true
);

-- Common categories of comprehensive governance (综治) and digital city
-- management (数字城管); parents group them, leaves are what a report picks.
INSERT INTO incident_categories (code, parent_code, name_zh, name_en, handling_type, limit_hours, department, dispute) VALUES
    ('dispute',              NULL,       '矛盾纠纷', 'Disputes',              'coordination', 40, '司法所', true),
    ('dispute.neighbour',    'dispute',  '邻里纠纷', 'Neighbour dispute',     'coordination', 40, '司法所', true),
    ('dispute.property',     'dispute',  '物业纠纷', 'Property-management dispute', 'coordination', 40, '住建局', true),
    ('dispute.family',       'dispute',  '婚姻家庭纠纷', 'Family dispute',    'coordination', 40, '司法所', true),
    ('dispute.labour',       'dispute',  '劳资纠纷', 'Wage dispute',          'coordination', 40, '人社局', true),
    ('security',             NULL,       '治安隐患', 'Public-security hazards', 'coordination', 24, '派出所', false),
    ('security.suspicious',  'security', '可疑人员物品', 'Suspicious person or object', 'emergency', 2, '派出所', false),
    ('security.gambling',    'security', '聚众赌博', 'Gambling',              'coordination', 24, '派出所', false),
    ('safety',               NULL,       '安全生产', 'Work safety',           'coordination', 24, '应急管理局', false),
    ('safety.gas',           'safety',   '燃气泄漏', 'Gas leak',              'emergency', 1, '燃气公司', false),
    ('safety.collapse',      'safety',   '道路塌陷', 'Road collapse',         'emergency', 2, '城管局', false),
    ('fire',                 NULL,       '消防隐患', 'Fire hazards',          'routine', 8, '消防救援大队', false),
    ('fire.passage',         'fire',     '消防通道堵塞', 'Blocked fire lane', 'routine', 8, '消防救援大队', false),
    ('fire.ebike',           'fire',     '电动车违规充电', 'E-bike charged indoors', 'routine', 8, '消防救援大队', false),
    ('sanitation',           NULL,       '环境卫生', 'Sanitation',            'routine', 8, '环卫所', false),
    ('sanitation.litter',    'sanitation', '垃圾堆放', 'Dumped rubbish',      'routine', 8, '环卫所', false),
    ('sanitation.sewage',    'sanitation', '污水外溢', 'Sewage overflow',     'coordination', 16, '水务局', false),
    ('cityorder',            NULL,       '市容秩序', 'Street order',          'routine', 8, '城管局', false),
    ('cityorder.stall',      'cityorder', '占道经营', 'Street stall',         'routine', 8, '城管局', false),
    ('cityorder.parking',    'cityorder', '乱停车', 'Illegal parking',        'routine', 8, '交警大队', false),
    ('cityorder.facility',   'cityorder', '设施损坏', 'Damaged facility',     'coordination', 24, '城管局', false),
    ('building',             NULL,       '违法建设', 'Illegal building',      'coordination', 40, '城管局', false),
    ('building.extension',   'building', '违章搭建', 'Unauthorised extension', 'coordination', 40, '城管局', false),
    ('special',              NULL,       '特殊人群', 'Special populations',   'coordination', 24, '综治中心', false),
    ('special.community_correction', 'special', '社区矫正人员', 'Community-correction subject', 'coordination', 24, '司法所', false),
    ('special.mental',       'special',  '严重精神障碍患者', 'Severe mental disorder', 'emergency', 2, '卫健局', false),
    ('service',              NULL,       '民生服务', 'Residents'' services',  'approval', 40, '便民服务中心', false),
    ('service.road_permit',  'service',  '临时占道审批', 'Temporary road-use permit', 'approval', 40, '城管局', false),
    ('service.renovation',   'service',  '装修备案', 'Renovation filing',     'approval', 40, '物业管理科', false),
    ('service.event',        'service',  '活动报备', 'Event notice',          'approval', 24, '派出所', false);

-- The working calendar: Monday–Friday are workdays unless a row says
-- otherwise; holidays (workday false) and 调休 weekend workdays (true) are
-- rows. region_code '000000' is the default every region falls back to.
CREATE TABLE work_calendar (
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    day         date NOT NULL,
    workday     boolean NOT NULL,
    note        text NOT NULL DEFAULT '',
    PRIMARY KEY (region_code, day)
);

-- The old status vocabulary becomes the workflow's states.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
UPDATE incidents SET status = CASE status WHEN 'handling' THEN 'dispatched' WHEN 'verifying' THEN 'handled'
                                          WHEN 'rejected' THEN 'invalid' ELSE status END
 WHERE status IN ('handling', 'verifying', 'rejected');
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check CHECK (status IN
    ('reported', 'accepted', 'dispatched', 'handled', 'verified', 'closed', 'invalid', 'parked'));

ALTER TABLE incidents
    -- The id the field device generated: retries carry it, so it is the key.
    ADD COLUMN client_id      uuid UNIQUE,
    ADD COLUMN request_hash   bytea,
    ADD COLUMN source         text NOT NULL DEFAULT 'field' CHECK (source IN ('field', 'open311', 'demo')),
    ADD COLUMN address        text NOT NULL DEFAULT '',
    -- The community a case belongs to: its grid's, or for a point outside every
    -- grid the nearest community's (outside = true), so nothing is lost.
    ADD COLUMN community_code text,
    ADD COLUMN outside        boolean NOT NULL DEFAULT false,
    -- Level now responsible: 4 grid, 3 community, 2 street, 1 district (逐级上报).
    ADD COLUMN level          smallint NOT NULL DEFAULT 4 CHECK (level BETWEEN 1 AND 4),
    ADD COLUMN dispatched_to  text NOT NULL DEFAULT '',
    ADD COLUMN case_leader    text NOT NULL DEFAULT '',
    ADD COLUMN assisting      text[] NOT NULL DEFAULT '{}',
    ADD COLUMN received_at    timestamptz NOT NULL DEFAULT now(),
    -- Deadline on the working calendar; paused_at is set while the clock stops
    -- (parked, awaiting approval) and parked_from is the state to return to.
    ADD COLUMN due_at         timestamptz,
    ADD COLUMN paused_at      timestamptz,
    ADD COLUMN parked_from    text,
    ADD COLUMN overdue        boolean NOT NULL DEFAULT false,
    ADD COLUMN escalations    smallint NOT NULL DEFAULT 0,
    -- Optimistic concurrency: a transition names the version it saw.
    ADD COLUMN version        integer NOT NULL DEFAULT 1,
    ADD COLUMN open311_key    bigint,
    -- Open311 clients link a photo by URL; it is kept as given, never fetched.
    ADD COLUMN media_url      text NOT NULL DEFAULT '';

UPDATE incidents SET community_code = left(grid_code, 12) WHERE grid_code IS NOT NULL;
UPDATE incidents SET source = 'demo' WHERE idempotency_key IS NULL;

-- One grid's list, newest first (the page a grid worker opens).
CREATE INDEX incidents_grid_time ON incidents (grid_code, reported_at DESC, id DESC);
-- A community's / street's / district's list: prefix of the community code.
CREATE INDEX incidents_community_time ON incidents (community_code text_pattern_ops, reported_at DESC, id DESC);
CREATE INDEX incidents_reporter_time ON incidents (reported_by, reported_at DESC);
-- The sweep reads only open cases whose clock runs.
CREATE INDEX incidents_due_open ON incidents (due_at)
    WHERE status IN ('reported', 'accepted', 'dispatched', 'handled', 'verified') AND paused_at IS NULL;
CREATE INDEX incidents_overdue ON incidents (community_code, due_at) WHERE overdue AND status NOT IN ('closed', 'invalid');

-- incidents_place fills grid, community, region and the outside flag from the
-- point: the grid that contains it (the smallest code on a shared edge, as
-- the lookup index and the boundary re-assignment decide), else the nearest
-- community. It runs on insert and whenever a boundary edit moves grid_code.
CREATE FUNCTION incidents_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.grid_code IS NULL THEN
        SELECT u.code INTO NEW.grid_code FROM units u
         WHERE u.level = 4 AND u.geom && NEW.pt AND ST_Intersects(u.geom, NEW.pt) ORDER BY u.code LIMIT 1;
    END IF;
    IF NEW.grid_code IS NOT NULL THEN
        NEW.community_code := left(NEW.grid_code, 12);
        NEW.outside := false;
    ELSE
        NEW.outside := true;
        SELECT u.code INTO NEW.community_code FROM units u WHERE u.level = 3
         ORDER BY u.geom <-> NEW.pt, u.code LIMIT 1;
    END IF;
    IF NEW.community_code IS NOT NULL THEN
        NEW.region_code := left(NEW.community_code, 6);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incidents_place_ins BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION incidents_place();
CREATE TRIGGER incidents_place_upd BEFORE UPDATE OF grid_code ON incidents FOR EACH ROW
    WHEN (OLD.grid_code IS DISTINCT FROM NEW.grid_code) EXECUTE FUNCTION incidents_place();

-- History: every transition with who, when, note, the level before and after.
ALTER TABLE incident_events
    ADD COLUMN action     text NOT NULL DEFAULT '',
    ADD COLUMN actor_name text NOT NULL DEFAULT '',
    ADD COLUMN from_level smallint,
    ADD COLUMN to_level   smallint,
    ADD COLUMN details    jsonb NOT NULL DEFAULT '{}';

-- Photos and other attachments, in the same database so every instance
-- serves them; the thumbnail is made once on upload.
CREATE TABLE media (
    id           uuid PRIMARY KEY,
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size_bytes   integer NOT NULL CHECK (size_bytes > 0),
    sha256       bytea NOT NULL,
    width        integer NOT NULL,
    height       integer NOT NULL,
    data         bytea NOT NULL,
    thumb        bytea NOT NULL,
    uploaded_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE media ALTER COLUMN data SET STORAGE EXTERNAL; -- JPEG/PNG do not compress further
CREATE INDEX media_uploader ON media (uploaded_by, created_at);

CREATE TABLE incident_media (
    incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    media_id    uuid NOT NULL REFERENCES media (id),
    event_id    bigint REFERENCES incident_events (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, media_id)
);
CREATE INDEX incident_media_media ON incident_media (media_id);

-- Open311 clients (12345 hotlines, 311 apps): one key per client system,
-- stored as a hash, revocable.
CREATE TABLE open311_keys (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> ''),
    key_hash    bytea NOT NULL UNIQUE,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
ALTER TABLE incidents ADD CONSTRAINT incidents_open311_key_fk FOREIGN KEY (open311_key) REFERENCES open311_keys (id);
