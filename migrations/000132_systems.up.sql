-- Connected systems (issue 21): the district platform, a 12345 hotline or a
-- police system that reads the change feed. Each has its own key (only the
-- hash is kept; the secret is shown once), a unit it sees (a subtree of the
-- issuer's) and the feed types it may read; optionally a webhook the
-- changes are pushed to, signed with HMAC-SHA256 under a secret of its own
-- (kept, since signing needs it), delivered at least once: the cursor moves
-- only after the receiver answered 2xx, failures back off. A handful per
-- district: no region.
CREATE TABLE systems (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    unit_code       text NOT NULL DEFAULT '' CHECK (unit_code = '' OR unit_code ~ '^[0-9]{12}([0-9]{3}){0,2}$'),
    types           text[] NOT NULL CHECK (cardinality(types) > 0),
    key_hash        bytea NOT NULL UNIQUE,
    webhook_url     text CHECK (webhook_url ~ '^https?://'),
    webhook_secret  text,
    cursor_xid      xid8 NOT NULL DEFAULT '0',
    cursor_seq      bigint NOT NULL DEFAULT 0,
    failures        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    delivered_at    timestamptz,
    delivered       bigint NOT NULL DEFAULT 0,  -- changes delivered so far
    created_by      bigint NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    CHECK ((webhook_url IS NULL) = (webhook_secret IS NULL))
);
CREATE INDEX systems_due ON systems (next_attempt_at) WHERE webhook_url IS NOT NULL AND revoked_at IS NULL;
