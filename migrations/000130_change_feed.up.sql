-- Change feed (issue 21): every committed change to units, grid staff and
-- staff assignments, incidents, visits and hazards is appended here by
-- triggers, in the writer's own transaction, so a change and its feed row
-- commit or vanish together.
--
-- Readers page by (xid, seq) and only see rows whose transaction is older
-- than the oldest one still running (pg_snapshot_xmin): a row whose seq was
-- taken early but committed late is then never skipped, because it stays
-- invisible to every reader until everything before it in that order is
-- settled. Payloads carry ids, codes and states only: no names, phones,
-- ID numbers, free text or addresses.
CREATE TABLE change_feed (
    seq         bigserial PRIMARY KEY,
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    region_code text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    unit_code   text NOT NULL,          -- the unit the change belongs to (scope by prefix)
    type        text NOT NULL CHECK (type IN ('unit', 'grid_staff', 'staff_assignment', 'incident', 'visit', 'hazard')),
    object_id   text NOT NULL,
    op          text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    payload     jsonb NOT NULL
);
CREATE INDEX change_feed_order ON change_feed (xid, seq);
CREATE INDEX change_feed_region_order ON change_feed (region_code, xid, seq);

-- One capture function for every table: the trigger's arguments are the
-- feed type and the SQL expressions, over a row r, of its object id, unit
-- and payload. Statement-level with transition tables, so a bulk write
-- (an import, the demo) costs one INSERT … SELECT, not one call per row.
CREATE FUNCTION change_feed_capture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO change_feed (region_code, unit_code, type, object_id, op, payload)
         SELECT left(u, 6), u, %L, o, %L, p
         FROM (SELECT %s AS o, %s AS u, %s AS p FROM %I r) f
         WHERE u ~ ''^[0-9]{6}''',
        TG_ARGV[0], lower(TG_OP), TG_ARGV[1], TG_ARGV[2], TG_ARGV[3],
        CASE WHEN TG_OP = 'DELETE' THEN 'old_rows' ELSE 'new_rows' END);
    RETURN NULL;
END $$;

-- create_change_feed_triggers attaches the three statement triggers.
CREATE FUNCTION create_change_feed_triggers(tbl regclass, typ text, id_expr text, unit_expr text, payload_expr text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    ev text;
BEGIN
    FOREACH ev IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s TABLE AS %s
             FOR EACH STATEMENT EXECUTE FUNCTION change_feed_capture(%L, %L, %L, %L)',
            'change_feed_' || ev, upper(ev), tbl,
            CASE WHEN ev = 'delete' THEN 'OLD' ELSE 'NEW' END,
            CASE WHEN ev = 'delete' THEN 'old_rows' ELSE 'new_rows' END,
            typ, id_expr, unit_expr, payload_expr);
    END LOOP;
END $$;

SELECT create_change_feed_triggers('units', 'unit', 'r.code', 'r.code',
    $p$jsonb_build_object('code', r.code, 'parent_code', r.parent_code, 'level', r.level, 'kind', r.kind,
                          'name', r.name, 'version', r.version, 'valid_from', r.valid_from)$p$);
SELECT create_change_feed_triggers('grid_staff', 'grid_staff', 'r.id::text', 'r.unit_code',
    $p$jsonb_build_object('id', r.id, 'unit_code', r.unit_code, 'role', r.role, 'staff_id', r.staff_id,
                          'assignment_id', r.assignment_id)$p$);
SELECT create_change_feed_triggers('staff_assignments', 'staff_assignment', 'r.id::text', 'r.unit_code',
    $p$jsonb_build_object('id', r.id, 'staff_id', r.staff_id, 'unit_code', r.unit_code, 'role', r.role,
                          'from_date', r.from_date, 'to_date', r.to_date, 'status', r.status,
                          'replaces_id', r.replaces_id)$p$);
SELECT create_change_feed_triggers('incidents', 'incident', 'r.id::text',
    $u$coalesce(r.grid_code, r.community_code, r.region_code || '000000')$u$,
    $p$jsonb_build_object('id', r.id, 'grid_code', r.grid_code, 'community_code', r.community_code,
                          'type', r.type, 'category', r.category, 'status', r.status, 'level', r.level,
                          'source', r.source, 'valid', r.valid, 'reported_at', r.reported_at,
                          'updated_at', r.updated_at, 'closed_at', r.closed_at)$p$);
SELECT create_change_feed_triggers('visits', 'visit', 'r.id::text', 'r.grid_code',
    $p$jsonb_build_object('id', r.id, 'grid_code', r.grid_code, 'household_id', r.household_id,
                          'visited_at', r.visited_at, 'far', r.far, 'follow_up', r.follow_up)$p$);
SELECT create_change_feed_triggers('hazards', 'hazard', 'r.id::text', 'r.grid_code',
    $p$jsonb_build_object('id', r.id, 'grid_code', r.grid_code, 'place_id', r.place_id, 'item', r.item,
                          'severity', r.severity, 'state', r.state, 'found_at', r.found_at,
                          'deadline', r.deadline, 'closed_at', r.closed_at)$p$);
DROP FUNCTION create_change_feed_triggers(regclass, text, text, text, text);
