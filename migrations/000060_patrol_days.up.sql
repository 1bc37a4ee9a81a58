-- Patrol figures per worker per China-time day (issue 14), computed from the
-- fixes by the patrol sweep (store.SweepPatrolDays), and what it still owes.

-- patrol_dirty: worker-days whose fixes changed since they were last
-- computed. Ingest marks them in the same transaction that stores the fixes
-- (one row per worker-day, not per fix), so a late upload is never missed;
-- the sweep removes a mark once the closed day is computed.
CREATE TABLE patrol_dirty (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day         date NOT NULL,
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    marked_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (user_id, day)
);
CREATE INDEX patrol_dirty_day ON patrol_dirty (day);

-- patrol_days: one row per worker-day. At 5,000 workers that is under two
-- million rows a year: no partitions needed, region and day indexed.
CREATE TABLE patrol_days (
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day               date NOT NULL,
    region_code       text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    closed            boolean NOT NULL,          -- false: the day had not ended at computation
    distance_m        double precision NOT NULL,
    patrol_seconds    double precision NOT NULL,
    moving_seconds    double precision NOT NULL,
    stopped_seconds   double precision NOT NULL,
    in_grid_seconds   double precision NOT NULL,
    coverage_radius_m double precision NOT NULL,
    coverage_ratio    double precision,          -- NULL: the worker has no grid
    fixes             integer NOT NULL,          -- kept fixes
    dropped           integer NOT NULL,          -- fixes the cleaning rules dropped
    trips             jsonb NOT NULL,
    stops             jsonb NOT NULL,
    track             geometry(MultiLineString, 4326),
    computed_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, day)
);
CREATE INDEX patrol_days_region_day ON patrol_days (region_code, day);
CREATE INDEX patrol_days_track_gist ON patrol_days USING gist (track);

-- patrol_targets: the daily patrol hours a unit asks of its grid workers
-- (e.g. 10 h); a worker's target is the one of the nearest unit above their
-- grid that sets one.
CREATE TABLE patrol_targets (
    unit_code      text PRIMARY KEY REFERENCES units (code) ON UPDATE CASCADE ON DELETE CASCADE,
    region_code    text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    daily_seconds  integer NOT NULL CHECK (daily_seconds BETWEEN 0 AND 86400)
);

-- patrol_workers: who patrols which unit: the grid workers on a grid's card
-- with an account, and officers by the unit of their account (the rule the
-- grid card's patrol minutes already used).
CREATE VIEW patrol_workers AS
    SELECT user_id, unit_code FROM grid_staff WHERE role = 'grid_worker' AND user_id IS NOT NULL
    UNION
    SELECT id, unit_code FROM users WHERE role = 'officer' AND unit_code IS NOT NULL;

-- unit_scope: the leading digits a unit code fixes for the codes under it
-- (district 6, street 9, community 12, grid 15, estate 18), as
-- auth.ScopeLen: the units under X are those whose code starts with it.
CREATE FUNCTION unit_scope(code text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(code) = 12 AND right(code, 6) = '000000' THEN left(code, 6)
                WHEN length(code) = 12 AND right(code, 3) = '000' THEN left(code, 9)
                ELSE code END
$$;
