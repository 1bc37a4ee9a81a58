-- Field data: incidents (事件) and patrol GPS points (巡查轨迹).

CREATE TABLE incidents (
    id              bigserial PRIMARY KEY,
    region_code     text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    grid_code       text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL,
    -- 常规 routine, 协调 coordination, 应急 emergency, 审批 approval
    type            text NOT NULL CHECK (type IN ('routine', 'coordination', 'emergency', 'approval')),
    category        text NOT NULL DEFAULT '',
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'reported' CHECK (status IN
                    ('reported', 'accepted', 'dispatched', 'handling', 'verifying', 'closed', 'rejected')),
    -- Whether a closed report counted as valid (有效上报) for performance.
    valid           boolean,
    pt              geometry(Point, 4326) NOT NULL,
    reported_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    reported_at     timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    -- Field devices retry; the same key never makes a second incident.
    idempotency_key text UNIQUE
);
CREATE INDEX incidents_pt_gist ON incidents USING gist (pt);
CREATE INDEX incidents_grid_status ON incidents (grid_code, status);
CREATE INDEX incidents_region_time ON incidents (region_code, reported_at);
CREATE INDEX incidents_reporter ON incidents (reported_by);

CREATE TABLE incident_events (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    actor       bigint REFERENCES users (id) ON DELETE SET NULL,
    note        text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, at);

-- Tens of millions of points a day: partitioned by day, so a day is written,
-- indexed and dropped as one unit. (user_id, recorded_at) is the natural key
-- that makes retried uploads harmless.
CREATE TABLE patrol_points (
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    user_id     bigint NOT NULL,
    recorded_at timestamptz NOT NULL,
    pt          geometry(Point, 4326) NOT NULL,
    accuracy_m  real,
    speed_mps   real,
    PRIMARY KEY (user_id, recorded_at)
) PARTITION BY RANGE (recorded_at);
CREATE INDEX patrol_points_pt_gist ON patrol_points USING gist (pt);
CREATE INDEX patrol_points_time_brin ON patrol_points USING brin (recorded_at);
-- Points outside every daily partition are kept, never lost.
CREATE TABLE patrol_points_default PARTITION OF patrol_points DEFAULT;

-- ensure_patrol_partitions creates the daily partitions covering [from, to);
-- days are China Standard Time days, the unit offices report by.
CREATE FUNCTION ensure_patrol_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d date := from_day;
    made integer := 0;
    name text;
BEGIN
    WHILE d < to_day LOOP
        name := format('patrol_points_%s', to_char(d, 'YYYYMMDD'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF patrol_points FOR VALUES FROM (%L) TO (%L)',
                           name, d::timestamp AT TIME ZONE 'Asia/Shanghai',
                           (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai');
            made := made + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN made;
END $$;
