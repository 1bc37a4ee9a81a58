package store

import (
	"context"
	"fmt"
)

// MaintainPatrolPartitions runs pg_partman's maintenance of the daily
// patrol_points partitions in China time (migration 000062): days ahead are
// made and days past the retention moved to the patrol_archive schema. It
// returns how many partitions it made or archived.
func MaintainPatrolPartitions(ctx context.Context, q Querier) (int, error) {
	var n int
	if err := q.QueryRow(ctx, `SELECT patrol_partitions_maintain()`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: patrol partitions: %w", err)
	}
	return n, nil
}
