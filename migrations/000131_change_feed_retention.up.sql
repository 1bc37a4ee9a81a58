-- Change feed retention (issue 21): changes older than the kept window are
-- deleted by the change-feed timer. A BRIN index on the append-only time
-- column finds them at a few pages' cost; change_feed_purged holds the
-- furthest position deleted, so a reader whose cursor lies before it is
-- told it may have missed changes (410) instead of silently skipping them.
CREATE INDEX change_feed_at ON change_feed USING brin (at);

CREATE TABLE change_feed_purged (
    one    boolean PRIMARY KEY DEFAULT true CHECK (one),
    xid    xid8 NOT NULL,
    seq    bigint NOT NULL,
    before timestamptz NOT NULL  -- changes before this time may be gone
);
