-- Drills (消防演练, issue #16): a dedicated grid (school, enterprise) holds one
-- every semester; the record is keyed by the phone's UUID like inspections.
CREATE TABLE drills (
    id           uuid PRIMARY KEY,
    request_hash bytea NOT NULL,
    grid_code    text NOT NULL REFERENCES units (code) ON UPDATE CASCADE,
    held_on      date NOT NULL,
    scenario     text NOT NULL CHECK (btrim(scenario) <> '' AND length(scenario) <= 500),
    participants integer NOT NULL CHECK (participants BETWEEN 1 AND 100000),
    photos       uuid[] NOT NULL DEFAULT '{}',
    recorded_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    recorder     text NOT NULL,
    region_code  text NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (region_code = left(grid_code, 6))
);
CREATE INDEX drills_grid_held ON drills (grid_code text_pattern_ops, held_on DESC);
