package main

import (
	"context"
	"time"

	"wangge/internal/store"
)

// The timers of `wangge serve` that are not a feature's own service
// (jobs.Sweeper adapters); incidents and staff are sweepers themselves.

// patrolTimer runs the day sweep as a timer of `wangge serve` (jobs.Sweeper).
type patrolTimer struct{ st *store.Store }

func (p patrolTimer) Sweep(ctx context.Context, asOf time.Time) (int, error) {
	res, err := p.st.SweepPatrolDays(ctx, asOf, store.DefaultPatrolParams, 100000)
	return res.Computed, err
}

// statsTimer folds the unit statistics' appended deltas (store.CompactUnitStats)
// as a timer of `wangge serve`, so reads sum few rows however much is written.
type statsTimer struct{ q store.Querier }

func (t statsTimer) Sweep(ctx context.Context, _ time.Time) (int, error) {
	n, err := store.CompactUnitStats(ctx, t.q)
	return int(n), err
}

// partitionsTimer keeps the patrol fixes' daily partitions (pg_partman) as a
// timer of `wangge serve`.
type partitionsTimer struct{ q store.Querier }

func (t partitionsTimer) Sweep(ctx context.Context, _ time.Time) (int, error) {
	return store.MaintainPatrolPartitions(ctx, t.q)
}

// changeFeedTimer deletes changes older than the feed keeps
// (WANGGE_CHANGE_FEED_DAYS), in transactions of 10,000, as a timer of
// `wangge serve`.
type changeFeedTimer struct {
	st   *store.Store
	keep time.Duration
}

func (t changeFeedTimer) Sweep(ctx context.Context, asOf time.Time) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, err := t.st.PurgeChanges(ctx, asOf.Add(-t.keep), 10000)
		total += n
		if err != nil || n < 10000 {
			return total, err
		}
	}
	return total, ctx.Err()
}
