package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"wangge/geo/track"
	"wangge/internal/apperr"
	"wangge/internal/workcal"
)

// PatrolParams are the cleaning rules and the coverage radius of the sweep.
type PatrolParams struct {
	Track          track.Params
	CoverageRadius float64 // metres either side of the track that count as seen
}

// DefaultPatrolParams: track.DefaultParams and 50 m of coverage.
var DefaultPatrolParams = PatrolParams{Track: track.DefaultParams, CoverageRadius: 50}

// SweepResult says what one sweep did.
type SweepResult struct {
	Due      int `json:"due"`      // worker-days marked as changed, up to the as-of day
	Computed int `json:"computed"` // of which this sweep computed (others were taken by another instance)
	Closed   int `json:"closed"`   // computed days that had ended, so their mark was cleared
}

const (
	dueDaysSQL = `SELECT user_id, day::text FROM patrol_dirty WHERE day <= $1::date ORDER BY day, user_id LIMIT $2`
	// The row lock makes concurrent sweeps (several instances) split the
	// work, and makes an upload marking the same worker-day wait for the
	// computation, so its new mark is never lost.
	lockDueSQL  = `SELECT region_code FROM patrol_dirty WHERE user_id = $1 AND day = $2::date FOR UPDATE SKIP LOCKED`
	dayFixesSQL = `
SELECT recorded_at, ST_X(pt), ST_Y(pt), coalesce(accuracy_m, 0), region_code
FROM patrol_points WHERE user_id = $1 AND recorded_at >= $2 AND recorded_at < $3
ORDER BY recorded_at`
	workerGridsSQL = `
SELECT ST_AsBinary(ST_Multi(ST_Union(geom))) FROM units
WHERE code IN (SELECT unit_code FROM patrol_workers WHERE user_id = $1)`
	// The shares of the worker's grids' area and street length within the
	// radius of the day's track, from one buffer. quad_segs=4: the buffer's
	// round caps need no more than 16 sides for a share, and it is the
	// costly part of the sweep. No track: 0 of each; no street in the grids:
	// a NULL street share.
	coverageSQL = `
WITH x AS (SELECT ST_GeomFromWKB($1, 4326) AS g, ST_Buffer(ST_GeomFromWKB($2, 4326)::geography, $3, 'quad_segs=4')::geometry AS b),
s AS (SELECT ST_Intersection(st.geom, x.g) AS geom FROM streets st, x WHERE st.region_code = $4 AND st.geom && x.g AND ST_Intersects(st.geom, x.g))
SELECT coalesce(ST_Area(ST_Intersection(x.g, x.b)::geography) / nullif(ST_Area(x.g::geography), 0), 0),
       (SELECT coalesce(sum(ST_Length(ST_Intersection(s.geom, x.b)::geography)), 0) / nullif(sum(ST_Length(s.geom::geography)), 0) FROM s)
FROM x`
	upsertDaySQL = `
INSERT INTO patrol_days (user_id, day, region_code, closed, distance_m, patrol_seconds, moving_seconds,
    stopped_seconds, in_grid_seconds, coverage_radius_m, coverage_ratio, fixes, dropped, trips, stops, track, street_ratio, computed_at,
    unit_code, parent_code)
SELECT $1::bigint, $2::date, $3::text, $4::boolean, $5::float8, $6::float8, $7::float8, $8::float8, $9::float8, $10::float8,
    $11::float8, $12::int, $13::int, $14::jsonb, $15::jsonb, ST_GeomFromWKB($16::bytea, 4326), $17::float8, now(),
    w.unit_code, u.parent_code
FROM (SELECT min(unit_code) AS unit_code FROM patrol_workers WHERE user_id = $1) w LEFT JOIN units u ON u.code = w.unit_code
ON CONFLICT (user_id, day) DO UPDATE SET region_code = EXCLUDED.region_code, closed = EXCLUDED.closed,
    distance_m = EXCLUDED.distance_m, patrol_seconds = EXCLUDED.patrol_seconds, moving_seconds = EXCLUDED.moving_seconds,
    stopped_seconds = EXCLUDED.stopped_seconds, in_grid_seconds = EXCLUDED.in_grid_seconds,
    coverage_radius_m = EXCLUDED.coverage_radius_m, coverage_ratio = EXCLUDED.coverage_ratio, fixes = EXCLUDED.fixes,
    dropped = EXCLUDED.dropped, trips = EXCLUDED.trips, stops = EXCLUDED.stops, track = EXCLUDED.track,
    street_ratio = EXCLUDED.street_ratio, computed_at = now(),
    -- The day stays with the unit it was first computed for (a later
    -- reassignment does not move it), unless that unit is gone.
    parent_code = CASE WHEN patrol_days.unit_code IS NULL THEN EXCLUDED.parent_code ELSE patrol_days.parent_code END,
    unit_code = coalesce(patrol_days.unit_code, EXCLUDED.unit_code)`
	deleteDaySQL   = `DELETE FROM patrol_days WHERE user_id = $1 AND day = $2::date`
	clearDueSQL    = `DELETE FROM patrol_dirty WHERE user_id = $1 AND day = $2::date`
	markRebuildSQL = `
INSERT INTO patrol_dirty (user_id, day, region_code)
SELECT user_id, (recorded_at AT TIME ZONE 'Asia/Shanghai')::date, min(region_code)
FROM patrol_points WHERE recorded_at >= $1 AND recorded_at < $2
GROUP BY 1, 2
ON CONFLICT (user_id, day) DO UPDATE SET marked_at = clock_timestamp()`
)

// MarkPatrolDays marks every worker-day with fixes in [from, to) (China
// dates) for the next sweep: for fixes loaded around ingest (bulk COPY, a
// restored backup) or after the rules changed.
func (s *Store) MarkPatrolDays(ctx context.Context, from, to time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, markRebuildSQL, dayStart(from), dayStart(to))
	if err != nil {
		return 0, fmt.Errorf("store: mark patrol days: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.In(workcal.CST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, workcal.CST)
}

// SweepPatrolDays computes the worker-days marked as changed, as of asOf:
// days up to asOf's China date, from the fixes recorded before asOf. A day
// that has ended is computed once and its mark cleared; the day still
// running is computed and stays marked. Each worker-day is one transaction,
// so a sweep stopped halfway keeps what it finished, and running it again
// (or on several instances at once) computes each remaining day once.
// At most limit worker-days are taken per call.
func (s *Store) SweepPatrolDays(ctx context.Context, asOf time.Time, p PatrolParams, limit int) (SweepResult, error) {
	var res SweepResult
	rows, err := s.pool.Query(ctx, dueDaysSQL, asOf.In(workcal.CST).Format(time.DateOnly), limit)
	if err != nil {
		return res, fmt.Errorf("store: patrol sweep: %w", err)
	}
	type key struct {
		user int64
		day  string
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (key, error) {
		var k key
		return k, r.Scan(&k.user, &k.day)
	})
	if err != nil {
		return res, fmt.Errorf("store: patrol sweep: %w", err)
	}
	res.Due = len(due)
	for _, k := range due {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("store: patrol sweep: %w", err)
		}
		done, closed, err := s.sweepOne(ctx, k.user, k.day, asOf, p)
		if err != nil {
			return res, err
		}
		if done {
			res.Computed++
		}
		if closed {
			res.Closed++
		}
	}
	return res, nil
}

func (s *Store) sweepOne(ctx context.Context, user int64, date string, asOf time.Time, p PatrolParams) (done, closed bool, err error) {
	day, err := time.ParseInLocation(time.DateOnly, date, workcal.CST)
	if err != nil {
		return false, false, fmt.Errorf("store: patrol sweep: %w", err)
	}
	end := day.AddDate(0, 0, 1)
	closed = !asOf.Before(end)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var region string
		if err := tx.QueryRow(ctx, lockDueSQL, user, date).Scan(&region); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // another sweep has it, or finished it
			}
			return err
		}
		done = true
		// Fixes a little either side of the day, so the interval across
		// midnight is split exactly as track.Days does.
		hi := end.Add(p.Track.MaxGap)
		if asOf.Before(hi) {
			hi = asOf
		}
		rows, err := tx.Query(ctx, dayFixesSQL, user, day.Add(-p.Track.MaxGap), hi)
		if err != nil {
			return err
		}
		var fixes []track.Fix
		var f track.Fix
		var fregion string
		if _, err := pgx.ForEachRow(rows, []any{&f.At, &f.Point[0], &f.Point[1], &f.AccuracyM, &fregion}, func() error {
			fixes = append(fixes, f)
			if !f.At.Before(day) && f.At.Before(end) {
				region = fregion
			}
			return nil
		}); err != nil {
			return err
		}
		var gridWKB []byte
		if err := tx.QueryRow(ctx, workerGridsSQL, user).Scan(&gridWKB); err != nil {
			return err
		}
		var grids orb.MultiPolygon
		if gridWKB != nil {
			g, err := wkb.Unmarshal(gridWKB)
			if err != nil {
				return err
			}
			grids, _ = g.(orb.MultiPolygon)
		}
		days, why := track.Days(fixes, p.Track, workcal.CST, grids)
		var d *track.Day
		for i := range days {
			if days[i].Date == date {
				d = &days[i]
			}
		}
		if d == nil {
			if _, err := tx.Exec(ctx, deleteDaySQL, user, date); err != nil {
				return err
			}
		} else if err := upsertDay(ctx, tx, user, date, region, closed, d, dropped(fixes, why, day, end), grids, gridWKB, p); err != nil {
			return err
		}
		if closed {
			_, err = tx.Exec(ctx, clearDueSQL, user, date)
		}
		return err
	})
	if err != nil {
		return false, false, fmt.Errorf("store: patrol sweep user %d day %s: %w", user, date, err)
	}
	return done, done && closed, nil
}

func dropped(fixes []track.Fix, why []track.Why, from, to time.Time) int {
	n := 0
	for i, w := range why {
		if w != track.Kept && !fixes[i].At.Before(from) && fixes[i].At.Before(to) {
			n++
		}
	}
	return n
}

func upsertDay(ctx context.Context, tx pgx.Tx, user int64, date, region string, closed bool, d *track.Day, dropped int,
	grids orb.MultiPolygon, gridWKB []byte, p PatrolParams) error {
	var trackWKB []byte
	if len(d.Track) > 0 {
		b, err := wkb.Marshal(d.Track)
		if err != nil {
			return err
		}
		trackWKB = b
	}
	var coverage, streets *float64
	if len(grids) > 0 {
		if err := tx.QueryRow(ctx, coverageSQL, gridWKB, trackWKB, p.CoverageRadius, region).Scan(&coverage, &streets); err != nil {
			return err
		}
	}
	trips, err := json.Marshal(d.Trips)
	if err != nil {
		return err
	}
	stops, err := json.Marshal(d.Stops)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, upsertDaySQL, user, date, region, closed, d.DistanceM, d.PatrolSeconds, d.MovingSeconds,
		d.StoppedSeconds, d.InGridSeconds, p.CoverageRadius, coverage, d.Fixes, dropped, trips, stops, trackWKB, streets)
	return err
}

// PatrolDay is one worker-day as GET /api/patrol/days shows it.
type PatrolDay struct {
	Worker         string          `json:"worker"`
	Day            string          `json:"day"`
	Closed         bool            `json:"closed"`
	DistanceM      float64         `json:"distance_m"`
	PatrolSeconds  float64         `json:"patrol_seconds"`
	MovingSeconds  float64         `json:"moving_seconds"`
	StoppedSeconds float64         `json:"stopped_seconds"`
	InGridSeconds  float64         `json:"in_grid_seconds"`
	CoverageRadius float64         `json:"coverage_radius_m"`
	CoverageRatio  *float64        `json:"coverage_ratio"`
	StreetRatio    *float64        `json:"street_ratio"` // NULL: no streets loaded in the worker's grids
	Fixes          int             `json:"fixes"`
	Dropped        int             `json:"dropped"`
	Trips          json.RawMessage `json:"trips"`
	Stops          json.RawMessage `json:"stops"`
	TargetSeconds  *int            `json:"target_seconds"` // NULL: no unit above the worker's grid sets one
	MetTarget      *bool           `json:"met_target"`
}

// PatrolDayQuery selects worker-days: one worker, or the workers of the
// grids under Unit (a grid or any unit above), between two China dates.
type PatrolDayQuery struct {
	UserID   int64 // 0: any
	Unit     string
	From, To string // YYYY-MM-DD, inclusive
}

const patrolDaysSQL = `
SELECT u.username, d.day::text, d.closed, d.distance_m, d.patrol_seconds, d.moving_seconds, d.stopped_seconds,
       d.in_grid_seconds, d.coverage_radius_m, d.coverage_ratio, d.street_ratio, d.fixes, d.dropped, d.trips, d.stops, tg.daily_seconds
FROM patrol_days d
JOIN users u ON u.id = d.user_id
LEFT JOIN LATERAL (
    SELECT t.daily_seconds FROM patrol_workers w
    JOIN patrol_targets t ON starts_with(w.unit_code, unit_scope(t.unit_code))
    WHERE w.user_id = d.user_id
    ORDER BY length(unit_scope(t.unit_code)) DESC LIMIT 1) tg ON true
WHERE d.day BETWEEN $1::date AND $2::date
  AND ($3 = 0 OR d.user_id = $3)
  AND ($4 = '' OR (d.region_code = left($4, 6) AND d.user_id IN (
        SELECT user_id FROM patrol_workers WHERE starts_with(unit_code, unit_scope($4)))))
ORDER BY d.day, u.username`

// PatrolDays lists worker-days; the caller bounds the date range.
func (s *Store) PatrolDays(ctx context.Context, q PatrolDayQuery) ([]PatrolDay, error) {
	rows, err := s.pool.Query(ctx, patrolDaysSQL, q.From, q.To, q.UserID, q.Unit)
	if err != nil {
		return nil, fmt.Errorf("store: patrol days: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PatrolDay, error) {
		var d PatrolDay
		err := r.Scan(&d.Worker, &d.Day, &d.Closed, &d.DistanceM, &d.PatrolSeconds, &d.MovingSeconds, &d.StoppedSeconds,
			&d.InGridSeconds, &d.CoverageRadius, &d.CoverageRatio, &d.StreetRatio, &d.Fixes, &d.Dropped, &d.Trips, &d.Stops, &d.TargetSeconds)
		if d.TargetSeconds != nil {
			met := d.PatrolSeconds >= float64(*d.TargetSeconds)
			d.MetTarget = &met
		}
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: patrol days: %w", err)
	}
	return out, nil
}

// PatrolWorker finds a user by name: its id and unit (for scope checks).
func (s *Store) PatrolWorker(ctx context.Context, username string) (int64, string, error) {
	var id int64
	var unit *string
	err := s.pool.QueryRow(ctx, `
SELECT u.id, coalesce((SELECT min(unit_code) FROM patrol_workers WHERE user_id = u.id), u.unit_code)
FROM users u WHERE u.username = $1`, username).Scan(&id, &unit)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", apperr.New(apperr.ErrNotFound, "no user %q", username)
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: patrol worker: %w", err)
	}
	if unit == nil {
		return id, "", nil
	}
	return id, *unit, nil
}

// SetPatrolTarget sets the daily patrol target of a unit.
func (s *Store) SetPatrolTarget(ctx context.Context, unit string, daily time.Duration) error {
	_, err := s.pool.Exec(ctx, `
INSERT INTO patrol_targets (unit_code, region_code, daily_seconds) VALUES ($1, left($1, 6), $2)
ON CONFLICT (unit_code) DO UPDATE SET daily_seconds = EXCLUDED.daily_seconds`, unit, int(daily.Seconds()))
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return apperr.New(apperr.ErrNotFound, "no unit %s", unit)
	}
	if err != nil {
		return fmt.Errorf("store: patrol target %s: %w", unit, err)
	}
	return nil
}

// PatrolWorkerSummary is one worker's line in a leader's summary.
type PatrolWorkerSummary struct {
	Worker             string  `json:"worker"`
	Unit               string  `json:"unit"`
	DaySeconds         float64 `json:"day_seconds"`
	MonthSeconds       float64 `json:"month_seconds"` // from the 1st of the month to the date, inclusive
	TargetDailySeconds *int    `json:"target_daily_seconds"`
	MonthTargetSeconds *int    `json:"month_target_seconds"`
	MetDay             *bool   `json:"met_day"`
}

const patrolSummarySQL = `
WITH w AS (
    SELECT user_id, min(unit_code) AS unit_code FROM patrol_workers
    WHERE starts_with(unit_code, unit_scope($1)) GROUP BY user_id)
SELECT u.username, w.unit_code,
       coalesce((SELECT d.patrol_seconds FROM patrol_days d WHERE d.user_id = w.user_id AND d.day = $2::date), 0),
       coalesce((SELECT sum(d.patrol_seconds) FROM patrol_days d
                 WHERE d.user_id = w.user_id AND d.day BETWEEN date_trunc('month', $2::date)::date AND $2::date), 0),
       tg.daily_seconds,
       tg.daily_seconds * extract(day FROM $2::date)::int
FROM w JOIN users u ON u.id = w.user_id
LEFT JOIN LATERAL (
    SELECT t.daily_seconds FROM patrol_workers pw
    JOIN patrol_targets t ON starts_with(pw.unit_code, unit_scope(t.unit_code))
    WHERE pw.user_id = w.user_id ORDER BY length(unit_scope(t.unit_code)) DESC LIMIT 1) tg ON true
ORDER BY 3, u.username`

// PatrolSummary lists the workers of the grids under unit with their patrol
// time on date and in its month so far, against their targets; workers with
// no patrol on date come first.
func (s *Store) PatrolSummary(ctx context.Context, unit, date string) ([]PatrolWorkerSummary, error) {
	rows, err := s.pool.Query(ctx, patrolSummarySQL, unit, date)
	if err != nil {
		return nil, fmt.Errorf("store: patrol summary %s: %w", unit, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PatrolWorkerSummary, error) {
		var w PatrolWorkerSummary
		err := r.Scan(&w.Worker, &w.Unit, &w.DaySeconds, &w.MonthSeconds, &w.TargetDailySeconds, &w.MonthTargetSeconds)
		if w.TargetDailySeconds != nil {
			met := w.DaySeconds >= float64(*w.TargetDailySeconds)
			w.MetDay = &met
		}
		return w, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: patrol summary %s: %w", unit, err)
	}
	return out, nil
}
