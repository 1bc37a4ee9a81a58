package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// Change is one row of the change feed (migration 000130).
type Change struct {
	Cursor   string          `json:"cursor"` // resume after this change
	Seq      int64           `json:"seq"`
	Region   string          `json:"region_code"`
	Unit     string          `json:"unit_code"`
	Type     string          `json:"type"`
	ObjectID string          `json:"object_id"`
	Op       string          `json:"op"`
	At       time.Time       `json:"at"`
	Payload  json.RawMessage `json:"payload"`
}

// ChangeCursor is a position in the feed: the writer's transaction id and
// the row's seq. The feed is ordered by both, never by seq alone (see
// ChangesAfter).
type ChangeCursor struct {
	XID uint64
	Seq int64
}

func (c ChangeCursor) String() string { return fmt.Sprintf("%d.%d", c.XID, c.Seq) }

// ParseChangeCursor reads "XID.SEQ"; "" is the start of the feed.
func ParseChangeCursor(s string) (ChangeCursor, error) {
	if s == "" {
		return ChangeCursor{}, nil
	}
	x, q, ok := strings.Cut(s, ".")
	xid, err1 := strconv.ParseUint(x, 10, 64)
	seq, err2 := strconv.ParseInt(q, 10, 64)
	if !ok || err1 != nil || err2 != nil || seq < 0 {
		return ChangeCursor{}, fmt.Errorf("cursor %q: want the cursor of a change (XID.SEQ)", s)
	}
	return ChangeCursor{XID: xid, Seq: seq}, nil
}

// ChangeFilter narrows ChangesAfter: Prefix is the caller's unit code prefix
// ("" everywhere), Types the feed types (none: all).
type ChangeFilter struct {
	Prefix string
	Types  []string
	Limit  int
}

// ChangesAfter returns the changes after cur, in (xid, seq) order, among
// those whose transaction is older than every transaction of this database
// still running.
// A transaction that took its seq early and commits late therefore holds
// back everything after it instead of being skipped: once the reader has
// moved past a position, nothing can ever appear before it.
func (s *Store) ChangesAfter(ctx context.Context, cur ChangeCursor, f ChangeFilter) ([]Change, error) {
	var types []string
	if len(f.Types) > 0 {
		types = f.Types
	}
	if err := s.checkPurged(ctx, cur); err != nil {
		return nil, err
	}
	region := ""
	if len(f.Prefix) >= 6 {
		region = f.Prefix[:6]
	}
	rows, err := s.pool.Query(ctx, `
WITH horizon AS MATERIALIZED (
    -- The oldest transaction running when this statement's snapshot was
    -- taken, leaving out those known to be in another database (xids are
    -- cluster-wide, and a long load next door cannot write our feed); one
    -- that ended since is kept, as its database is no longer known.
    SELECT coalesce(
        (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) x
         WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                           WHERE a.backend_xid = xid(x)
                             AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))),
        pg_snapshot_xmax(pg_current_snapshot())) AS h
)
SELECT xid::text, seq, region_code, unit_code, type, object_id, op, at, payload
FROM change_feed, horizon
WHERE (xid, seq) > ($1::text::xid8, $2)
  AND xid < horizon.h
  AND ($3 = '' OR region_code = $3)
  AND ($4 = '' OR unit_code LIKE $4 || '%')
  AND ($5::text[] IS NULL OR type = ANY ($5))
ORDER BY xid, seq
LIMIT $6`, strconv.FormatUint(cur.XID, 10), cur.Seq, region, f.Prefix, types, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: change feed: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var xid string
		if err := rows.Scan(&xid, &c.Seq, &c.Region, &c.Unit, &c.Type, &c.ObjectID, &c.Op, &c.At, &c.Payload); err != nil {
			return nil, fmt.Errorf("store: change feed: %w", err)
		}
		c.Cursor = xid + "." + strconv.FormatInt(c.Seq, 10)
		out = append(out, c)
	}
	return out, rows.Err()
}

// PurgeChanges deletes at most limit changes from before before (oldest
// first) and moves the purge horizon past them, in one transaction; it
// returns how many went. A reader behind the horizon is refused (checkPurged).
func (s *Store) PurgeChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `
WITH gone AS (
    DELETE FROM change_feed WHERE seq IN (SELECT seq FROM change_feed WHERE at < $1 ORDER BY seq LIMIT $2)
    RETURNING xid, seq),
last AS (SELECT xid, seq FROM gone ORDER BY xid DESC, seq DESC LIMIT 1),
moved AS (
    INSERT INTO change_feed_purged (xid, seq, before) SELECT xid, seq, $1 FROM last
    ON CONFLICT (one) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq, before = EXCLUDED.before
    WHERE (change_feed_purged.xid, change_feed_purged.seq) < (EXCLUDED.xid, EXCLUDED.seq))
SELECT count(*) FROM gone`, before, limit).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("store: purge change feed: %w", err)
	}
	return n, nil
}

// checkPurged refuses (410 Gone) a cursor before the purge horizon: changes
// after it may have been deleted, and the reader must start again from a
// full copy rather than skip them. The start of the feed ("") is not:
// a new reader takes what is kept.
func (s *Store) checkPurged(ctx context.Context, cur ChangeCursor) error {
	if cur == (ChangeCursor{}) {
		return nil
	}
	var before time.Time
	err := s.pool.QueryRow(ctx, `SELECT before FROM change_feed_purged
        WHERE ($1::text::xid8, $2::bigint) < (xid, seq)`, strconv.FormatUint(cur.XID, 10), cur.Seq).Scan(&before)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("store: change feed horizon: %w", err)
	}
	return apperr.New(apperr.ErrGone, "after: changes after cursor %s were removed by the feed's retention (it keeps changes from %s on); start again from a full copy",
		cur, before.Format(time.RFC3339))
}
