package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"wangge/geo/precision"
	"wangge/internal/ingest"
	"wangge/internal/workcal"
)

const (
	ensurePatrolDaysSQL = `SELECT ensure_patrol_partitions($1::date, $2::date)`
	// New fixes mark their worker-days for the patrol sweep in the same
	// statement: every day from the first new fix less the trip gap to the
	// last plus it (the interval across midnight belongs to both days). A
	// day marked without fixes is swept to nothing. Fixes already stored are
	// skipped by an anti-join rather than ON CONFLICT (whose speculative
	// insertion per row halved the rate, BenchmarkPatrolIngest); the same
	// batch stored concurrently then fails on the key, and the retry skips it.
	insertFixesSQL = `
WITH ins AS (
    INSERT INTO patrol_points (region_code, user_id, recorded_at, pt, accuracy_m, speed_mps)
    SELECT DISTINCT ON (t) $1, $2, t, ST_SetSRID(ST_MakePoint(x, y), 4326), acc, spd
    FROM unnest($3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[]) AS f(t, x, y, acc, spd)
    WHERE NOT EXISTS (SELECT 1 FROM patrol_points p WHERE p.user_id = $2 AND p.recorded_at = f.t
                      AND p.recorded_at >= $9 AND p.recorded_at <= $10)
    ORDER BY t
    RETURNING recorded_at
), marks AS (
    INSERT INTO patrol_dirty (user_id, day, region_code)
    SELECT $2::bigint, d::date, $1::text FROM (SELECT min(recorded_at) AS lo, max(recorded_at) AS hi FROM ins) r,
        generate_series(((lo - $8::interval) AT TIME ZONE 'Asia/Shanghai')::date,
                        ((hi + $8::interval) AT TIME ZONE 'Asia/Shanghai')::date, interval '1 day') d
    WHERE lo IS NOT NULL
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
		ts[i], xs[i], ys[i], acc[i], spd[i] = f.At, precision.Round(f.Point[0]), precision.Round(f.Point[1]), f.AccuracyM, f.SpeedMPS
		if f.At.Before(first) {
			first = f.At
		}
		if f.At.After(last) {
			last = f.At
		}
	}
	var added int64
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			from := first.In(workcal.CST).Format(time.DateOnly)
			to := last.In(workcal.CST).AddDate(0, 0, 1).Format(time.DateOnly)
			if _, err := tx.Exec(ctx, ensurePatrolDaysSQL, from, to); err != nil {
				return err
			}
			return tx.QueryRow(ctx, insertFixesSQL, region, userID, ts, xs, ys, acc, spd, DefaultPatrolParams.Track.MaxGap, first, last).Scan(&added)
		})
		if !duplicateKey(err) {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store: patrol fixes: %w", err)
	}
	return int(added), nil
}

// BulkFix is one fix of a bulk load, of any worker.
type BulkFix struct {
	Region string
	UserID int64
	ingest.Fix
}

const (
	createStageSQL = `CREATE TEMP TABLE patrol_stage (LIKE patrol_points INCLUDING DEFAULTS) ON COMMIT DROP`
	// As insertFixesSQL, for many workers. An anti-join instead of ON
	// CONFLICT: speculative insertion per row cost much of the bulk rate.
	// A concurrent load of the same fixes then fails on the key and the
	// transaction is retried, when the anti-join skips them.
	insertStagedSQL = `
WITH ins AS (
    INSERT INTO patrol_points (region_code, user_id, recorded_at, pt, accuracy_m, speed_mps)
    SELECT DISTINCT ON (s.user_id, s.recorded_at) s.region_code, s.user_id, s.recorded_at, s.pt, s.accuracy_m, s.speed_mps
    FROM patrol_stage s
    WHERE NOT EXISTS (SELECT 1 FROM patrol_points p WHERE p.user_id = s.user_id AND p.recorded_at = s.recorded_at
                      AND p.recorded_at >= $2 AND p.recorded_at <= $3)
    ORDER BY s.user_id, s.recorded_at
    RETURNING region_code, user_id, recorded_at
), marks AS (
    INSERT INTO patrol_dirty (user_id, day, region_code)
    SELECT user_id, d::date, region FROM (
        SELECT user_id, min(region_code) AS region, min(recorded_at) AS lo, max(recorded_at) AS hi FROM ins GROUP BY user_id) r,
        generate_series(((lo - $1::interval) AT TIME ZONE 'Asia/Shanghai')::date,
                        ((hi + $1::interval) AT TIME ZONE 'Asia/Shanghai')::date, interval '1 day') d
    ON CONFLICT (user_id, day) DO UPDATE SET marked_at = clock_timestamp()
)
SELECT count(*) FROM ins`
)

// CopyFixes is the bulk path (gateways relaying many devices, replays): the
// fixes go by COPY into a temporary table and from there into the daily
// partitions in one statement that skips fixes already stored and marks
// the worker-days for the sweep, all in one transaction. It returns how
// many were new.
func (s *Store) CopyFixes(ctx context.Context, fixes []BulkFix) (int, error) {
	if len(fixes) == 0 {
		return 0, nil
	}
	first, last := fixes[0].At, fixes[0].At
	for _, f := range fixes {
		if f.At.Before(first) {
			first = f.At
		}
		if f.At.After(last) {
			last = f.At
		}
	}
	var added int64
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		added, err = s.copyFixesOnce(ctx, fixes, first, last)
		if !duplicateKey(err) {
			break
		}
	}
	if err != nil {
		return 0, fmt.Errorf("store: copy patrol fixes: %w", err)
	}
	return int(added), nil
}

func (s *Store) copyFixesOnce(ctx context.Context, fixes []BulkFix, first, last time.Time) (int64, error) {
	var added int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, ensurePatrolDaysSQL, first.In(workcal.CST).Format(time.DateOnly), last.In(workcal.CST).AddDate(0, 0, 1).Format(time.DateOnly)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, createStageSQL); err != nil {
			return err
		}
		i := 0
		buf := make([]byte, 0, 32)
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(fixes) {
				return nil, nil
			}
			f := fixes[i]
			i++
			buf = pointEWKB(buf[:0], f.Point)
			return []any{f.Region, f.UserID, f.At, buf, f.AccuracyM, f.SpeedMPS}, nil
		})
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"patrol_stage"},
			[]string{"region_code", "user_id", "recorded_at", "pt", "accuracy_m", "speed_mps"}, src); err != nil {
			return err
		}
		return tx.QueryRow(ctx, insertStagedSQL, DefaultPatrolParams.Track.MaxGap, first, last).Scan(&added)
	})
	return added, err
}

// pointEWKB appends the little-endian EWKB of a point in SRID 4326, on the
// 1e-7° grid: the COPY path writes millions of these, so without an
// allocation each.
func pointEWKB(b []byte, p orb.Point) []byte {
	b = append(b, 1, 1, 0, 0, 0x20, 0xE6, 0x10, 0, 0) // LE, type 1 | SRID flag, SRID 4326
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(precision.Round(p[0])))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(precision.Round(p[1])))
}

// duplicateKey tells a unique violation: a concurrent upload stored the same
// fixes first.
func duplicateKey(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
