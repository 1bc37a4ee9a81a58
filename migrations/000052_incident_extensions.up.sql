-- Extension requests (延期申请, issue #13): the level responsible for a case
-- asks for more working hours; the level above (for a grid's case, the
-- community acceptance centre) approves or refuses. Approval moves the
-- deadline as an "extended" transition; the request row keeps who asked,
-- who decided and why. The case's clock keeps running while a request waits:
-- asking is not yet getting.
CREATE TABLE incident_extension_requests (
    id             bigserial PRIMARY KEY,
    incident_id    bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    region_code    text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    -- The case's grid (else community) when asked: the scope of the queue.
    unit_code      text NOT NULL,
    hours          integer NOT NULL CHECK (hours BETWEEN 1 AND 2000),
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    requested_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    requested_name text NOT NULL,
    requested_at   timestamptz NOT NULL,
    decided_by     bigint REFERENCES users (id) ON DELETE SET NULL,
    decided_name   text NOT NULL DEFAULT '',
    decided_at     timestamptz,
    decision_note  text NOT NULL DEFAULT '',
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One open request per case: a second one waits for the first decision.
CREATE UNIQUE INDEX incident_extension_pending ON incident_extension_requests (incident_id) WHERE status = 'pending';
-- The approver's queue: pending requests under a unit prefix, oldest first.
CREATE INDEX incident_extension_queue ON incident_extension_requests (unit_code text_pattern_ops, requested_at)
    WHERE status = 'pending';
CREATE INDEX incident_extension_incident ON incident_extension_requests (incident_id, requested_at);
