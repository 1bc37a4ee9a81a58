-- Map keys (issue 10): per-user, revocable secrets that GIS clients (QGIS,
-- GDAL) put in an OGC API or tile URL as ?key=, since many cannot send a
-- bearer token. Only the hash is stored; the secret is shown once. A key reads
-- the map as its user does and never writes. A handful per user: no region.
CREATE TABLE map_keys (
    id         bigserial PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    key_hash   bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX map_keys_user ON map_keys (user_id, id);
