-- Daily partitions of patrol_points are kept by pg_partman (Debian's
-- postgresql-15-partman) rather than by our own function: it makes days
-- ahead, and detaches days past the retention into the patrol_archive schema
-- (kept as tables, out of every query; drop or dump them at leisure).
--
-- A day is a China Standard Time day. partman computes boundaries and names
-- in the session's time zone, so everything that calls it here runs with
-- TimeZone Asia/Shanghai (SET LOCAL below, SET on the functions).
SET LOCAL TimeZone = 'Asia/Shanghai';

CREATE SCHEMA IF NOT EXISTS partman;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
CREATE SCHEMA IF NOT EXISTS patrol_archive;

-- Our partitions were named patrol_points_YYYYMMDD; partman's daily names are
-- patrol_points_pYYYY_MM_DD. Same CST bounds, so a rename adopts them.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'public.patrol_points'::regclass AND c.relname ~ '^patrol_points_[0-9]{8}$' LOOP
        EXECUTE format('ALTER TABLE public.%I RENAME TO %I', r.relname,
            'patrol_points_p' || to_char(to_date(substr(r.relname, 15), 'YYYYMMDD'), 'YYYY_MM_DD'));
    END LOOP;
END $$;

-- create_parent makes its own default partition: set ours aside and put its
-- rows back through the parent afterwards (they land in a day if one now
-- covers them, else in the new default).
ALTER TABLE patrol_points DETACH PARTITION patrol_points_default;
ALTER TABLE patrol_points_default RENAME TO patrol_points_default_old;

SELECT partman.create_parent('public.patrol_points', 'recorded_at', 'native', 'daily',
    p_premake := 7, p_jobmon := false);

INSERT INTO patrol_points SELECT * FROM patrol_points_default_old;
DROP TABLE patrol_points_default_old;

-- 400 days: a year of tracks for the annual assessment, plus a month.
UPDATE partman.part_config
   SET retention = '400 days', retention_keep_table = true, retention_schema = 'patrol_archive',
       infinite_time_partitions = true
 WHERE parent_table = 'public.patrol_points';

-- ensure_patrol_partitions makes the days of an upload that partman has not
-- made (late uploads of old days; the demo's history). Nearly every upload
-- finds its days made ahead, and returns after the lock-free look; only a
-- missing day takes the lock that serialises creation. A day whose points
-- already sit in the default partition is skipped: they stay there,
-- queryable (partman.partition_data_time can move them).
CREATE OR REPLACE FUNCTION ensure_patrol_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql SET TimeZone = 'Asia/Shanghai' AS $$
DECLARE
    d date;
    missing timestamptz[] := '{}';
BEGIN
    FOR d IN SELECT generate_series(from_day::timestamp, (to_day - 1)::timestamp, interval '1 day')::date LOOP
        IF to_regclass('public.patrol_points_p' || to_char(d, 'YYYY_MM_DD')) IS NULL THEN
            missing := missing || d::timestamptz;
        END IF;
    END LOOP;
    IF cardinality(missing) = 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('ensure_patrol_partitions'));
    SELECT coalesce(array_agg(t), '{}') INTO missing FROM unnest(missing) t
     WHERE to_regclass('public.patrol_points_p' || to_char(t, 'YYYY_MM_DD')) IS NULL
       AND NOT EXISTS (SELECT 1 FROM patrol_points_default WHERE recorded_at >= t AND recorded_at < t + interval '1 day');
    IF cardinality(missing) > 0 THEN
        PERFORM partman.create_partition_time('public.patrol_points', missing, false);
    END IF;
    RETURN cardinality(missing);
END $$;

-- patrol_partitions_maintain is partman's maintenance in China time, run by a
-- timer of `wangge serve`. It returns how many day partitions it made or
-- archived.
CREATE FUNCTION patrol_partitions_maintain() RETURNS integer
LANGUAGE plpgsql SET TimeZone = 'Asia/Shanghai' AS $$
DECLARE
    before_live integer;
    before_archived integer;
    after_live integer;
    after_archived integer;
BEGIN
    SELECT count(*) INTO before_live FROM pg_inherits WHERE inhparent = 'public.patrol_points'::regclass;
    SELECT count(*) INTO before_archived FROM pg_tables WHERE schemaname = 'patrol_archive';
    PERFORM partman.run_maintenance('public.patrol_points', p_jobmon := false);
    SELECT count(*) INTO after_live FROM pg_inherits WHERE inhparent = 'public.patrol_points'::regclass;
    SELECT count(*) INTO after_archived FROM pg_tables WHERE schemaname = 'patrol_archive';
    RETURN (after_archived - before_archived) * 2 + (after_live - before_live);
END $$;
