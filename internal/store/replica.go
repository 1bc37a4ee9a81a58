package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Reads on a streaming replica (hot standby, DATABASE_READ_URL): a replica
// store sends its queries to the standby, and NOTIFY/LISTEN to the primary,
// where the change events start. CaughtUp is the one rule that keeps the
// two consistent: whoever is about to read something a change event (or
// its own write) announced first waits until the standby has replayed the
// primary's WAL as far as it reached when the event arrived — NOTIFYs are
// sent after commit, so that covers the change.

// Replica returns a store that reads from replica and notifies through s.
func (s *Store) Replica(replica *pgxpool.Pool) *Store {
	return &Store{pool: replica, primary: s.Primary()}
}

// Primary is the pool writes and LISTEN/NOTIFY use.
func (s *Store) Primary() *pgxpool.Pool {
	if s.primary != nil {
		return s.primary
	}
	return s.pool
}

// CaughtUp returns once the standby has replayed everything the primary had
// written when it was called (at once on a primary store), or ctx's error.
// It polls pg_last_wal_replay_lsn every 2 ms, slowing to 50 ms.
func (s *Store) CaughtUp(ctx context.Context) error {
	if s.primary == nil {
		return nil
	}
	var lsn string
	if err := s.primary.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		return fmt.Errorf("store: primary WAL position: %w", err)
	}
	pause := 2 * time.Millisecond
	for {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, true)`, lsn).Scan(&ok); err != nil {
			return fmt.Errorf("store: replica replay position: %w", err)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: replica has not replayed %s: %w", lsn, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(pause*2, 50*time.Millisecond)
	}
}

// AwaitReplica is CaughtUp for a change queue: it waits as long as it
// takes (a queue must not apply an event before its data is readable),
// warning every 10 s that reads are behind, until ctx ends.
func (s *Store) AwaitReplica(ctx context.Context, log *slog.Logger) {
	for ctx.Err() == nil {
		try, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.CaughtUp(try)
		cancel()
		if err == nil {
			return
		}
		log.Warn("reads wait for the replica to catch up", "err", err)
		if try.Err() == nil { // not a timeout: the replica is unreachable; try again shortly
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}
