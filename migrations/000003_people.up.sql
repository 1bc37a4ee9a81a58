-- Accounts, and the staff shown on each grid's public contact card (公示牌).

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{2,64}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'planner', 'officer', 'leader', 'auditor')),
    -- The subtree this user works in (NULL: everywhere; only for admin/auditor).
    unit_code     text REFERENCES units (code) ON UPDATE CASCADE ON DELETE SET NULL,
    display_name  text NOT NULL DEFAULT '',
    phone         text NOT NULL DEFAULT '',
    -- Leaders see personal details only when granted.
    can_unmask    boolean NOT NULL DEFAULT false,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE grid_staff (
    id        bigserial PRIMARY KEY,
    unit_code text NOT NULL REFERENCES units (code) ON UPDATE CASCADE ON DELETE CASCADE,
    -- 网格长 grid leader, 网格员 grid worker, 信息员 informant
    role      text NOT NULL CHECK (role IN ('grid_leader', 'grid_worker', 'informant')),
    name      text NOT NULL,
    phone     text NOT NULL DEFAULT '',
    user_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    sort      smallint NOT NULL DEFAULT 0
);
CREATE INDEX grid_staff_unit ON grid_staff (unit_code, sort);
CREATE INDEX grid_staff_user ON grid_staff (user_id);
