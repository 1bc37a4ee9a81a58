-- Field devices create daily partitions on demand while uploading, possibly
-- several at once: serialise creation with a transaction-scoped advisory
-- lock, and skip a day whose points already sit in the default partition
-- (they stay there, still queryable, rather than failing the upload).
CREATE OR REPLACE FUNCTION ensure_patrol_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d date := from_day;
    made integer := 0;
    name text;
    lo timestamptz;
    hi timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ensure_patrol_partitions'));
    WHILE d < to_day LOOP
        name := format('patrol_points_%s', to_char(d, 'YYYYMMDD'));
        lo := d::timestamp AT TIME ZONE 'Asia/Shanghai';
        hi := (d + 1)::timestamp AT TIME ZONE 'Asia/Shanghai';
        IF to_regclass(name) IS NULL
           AND NOT EXISTS (SELECT 1 FROM patrol_points_default WHERE recorded_at >= lo AND recorded_at < hi) THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF patrol_points FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
            made := made + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN made;
END $$;
