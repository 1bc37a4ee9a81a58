package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/ingest"
)

// cst is China Standard Time, the zone of the daily partitions.
var cst = time.FixedZone("CST", 8*3600)

const (
	ensurePatrolDaysSQL = `SELECT ensure_patrol_partitions($1::date, $2::date)`
	// New fixes mark their worker-day for the patrol sweep in the same
	// statement; so do the neighbouring day's when a fix is within the trip
	// gap of midnight (the interval across midnight belongs to both days).
	insertFixesSQL = `
WITH ins AS (
    INSERT INTO patrol_points (region_code, user_id, recorded_at, pt, accuracy_m, speed_mps)
    SELECT $1, $2, t, ST_SetSRID(ST_MakePoint(x, y), 4326), acc, spd
    FROM unnest($3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[]) AS f(t, x, y, acc, spd)
    ON CONFLICT (user_id, recorded_at) DO NOTHING
    RETURNING recorded_at
), marks AS (
    INSERT INTO patrol_dirty (user_id, day, region_code)
    SELECT DISTINCT $2::bigint, d, $1::text FROM ins,
        LATERAL (VALUES ((recorded_at AT TIME ZONE 'Asia/Shanghai')::date),
                        (((recorded_at - $8::interval) AT TIME ZONE 'Asia/Shanghai')::date),
                        (((recorded_at + $8::interval) AT TIME ZONE 'Asia/Shanghai')::date)) v(d)
    ON CONFLICT (user_id, day) DO UPDATE SET marked_at = clock_timestamp()
)
SELECT count(*) FROM ins`
)

// AddFixes stores a patrol batch for one user in one transaction; fixes the
// database already has (a retried upload) are skipped, so retries never
// duplicate. It returns how many were new.
func (s *Store) AddFixes(ctx context.Context, region string, userID int64, fixes []ingest.Fix) (int, error) {
	if len(fixes) == 0 {
		return 0, nil
	}
	first, last := fixes[0].At, fixes[0].At
	ts := make([]time.Time, len(fixes))
	xs := make([]float64, len(fixes))
	ys := make([]float64, len(fixes))
	acc := make([]*float32, len(fixes))
	spd := make([]*float32, len(fixes))
	for i, f := range fixes {
		ts[i], xs[i], ys[i], acc[i], spd[i] = f.At, f.Point[0], f.Point[1], f.AccuracyM, f.SpeedMPS
		if f.At.Before(first) {
			first = f.At
		}
		if f.At.After(last) {
			last = f.At
		}
	}
	var added int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		from := first.In(cst).Format(time.DateOnly)
		to := last.In(cst).AddDate(0, 0, 1).Format(time.DateOnly)
		if _, err := tx.Exec(ctx, ensurePatrolDaysSQL, from, to); err != nil {
			return err
		}
		return tx.QueryRow(ctx, insertFixesSQL, region, userID, ts, xs, ys, acc, spd, DefaultPatrolParams.Track.MaxGap).Scan(&added)
	})
	if err != nil {
		return 0, fmt.Errorf("store: patrol fixes: %w", err)
	}
	return int(added), nil
}
