package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// Track tiles: the day tracks crossing the tile, in tile coordinates,
	// simplified to a quarter of a tile pixel first (ST_AsMVTGeom only
	// quantises). colour is a stable index per worker for the palette.
	patrolTileSQL = `
WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS e),
t AS (
    SELECT ST_AsMVTGeom(ST_Simplify(ST_Transform(d.track, 3857), $9), env.e, 4096, 64) AS geom,
           u.username AS worker, u.display_name AS name, d.day::text AS day,
           round(d.distance_m)::int AS distance_m, round(d.patrol_seconds)::int AS patrol_seconds,
           (d.user_id % 12)::int AS colour
    FROM patrol_days d JOIN users u ON u.id = d.user_id, env
    WHERE d.track && ST_Transform(env.e, 4326) AND d.day BETWEEN $4::date AND $5::date
      AND ($6 = 0 OR d.user_id = $6)
      AND ($7 = '' OR (d.region_code = left($7, 6) AND d.user_id IN (
            SELECT user_id FROM patrol_workers WHERE starts_with(unit_code, unit_scope($7)))))
    ORDER BY d.day, d.user_id
    LIMIT $8)
SELECT coalesce(ST_AsMVT(t, 'tracks', 4096, 'geom'), '') FROM t WHERE geom IS NOT NULL`

	// Last positions: per worker of the unit, the newest fix younger than the
	// limit — one backward probe of the (user_id, recorded_at) key each,
	// pruned to the recent partitions.
	patrolPositionsSQL = `
SELECT u.username, u.display_name, w.unit_code, p.recorded_at, ST_X(p.pt), ST_Y(p.pt), p.accuracy_m
FROM (SELECT DISTINCT ON (user_id) user_id, unit_code FROM patrol_workers
      WHERE starts_with(unit_code, unit_scope($1)) ORDER BY user_id, unit_code) w
JOIN users u ON u.id = w.user_id
CROSS JOIN LATERAL (
    SELECT recorded_at, pt, accuracy_m FROM patrol_points
    WHERE user_id = w.user_id AND recorded_at > $2 AND recorded_at <= $3
    ORDER BY recorded_at DESC LIMIT 1) p
ORDER BY p.recorded_at DESC
LIMIT 10000`
)

// PatrolTile is one Mapbox vector tile of day tracks (layer "tracks") for
// one worker or a unit's workers, at most limit tracks; empty when none
// crosses the tile.
func (s *Store) PatrolTile(ctx context.Context, z, x, y int, q PatrolDayQuery, limit int) ([]byte, error) {
	// A quarter of a tile pixel (4096 per tile) in web-mercator metres.
	tol := 40075016.686 / float64(uint64(1)<<z) / 4096 / 4
	var tile []byte
	if err := s.pool.QueryRow(ctx, patrolTileSQL, z, x, y, q.From, q.To, q.UserID, q.Unit, limit, tol).Scan(&tile); err != nil {
		return nil, fmt.Errorf("store: patrol tile %d/%d/%d: %w", z, x, y, err)
	}
	return tile, nil
}

// PatrolTracksVersion is the time of the newest worker-day computation of
// the query's worker, or of its unit's region: track tiles cached under it
// stay good while it stands (one probe of an index either way).
func (s *Store) PatrolTracksVersion(ctx context.Context, q PatrolDayQuery) (time.Time, error) {
	var v *time.Time
	sql, arg := `SELECT max(computed_at) FROM patrol_days WHERE region_code = left($1, 6)`, any(q.Unit)
	if q.UserID != 0 {
		sql, arg = `SELECT max(computed_at) FROM patrol_days WHERE user_id = $1`, q.UserID
	}
	if err := s.pool.QueryRow(ctx, sql, arg).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("store: patrol tracks version: %w", err)
	}
	if v == nil {
		return time.Time{}, nil
	}
	return *v, nil
}

// Position is a worker's last known fix.
type Position struct {
	Worker    string    `json:"worker"`
	Name      string    `json:"name"`
	Unit      string    `json:"unit"`
	T         time.Time `json:"t"`
	Lon       float64   `json:"lon"`
	Lat       float64   `json:"lat"`
	AccuracyM *float32  `json:"accuracy_m"`
	AgeS      float64   `json:"age_s"`
}

// PatrolPositions returns the last fix of each worker patrolling within
// unit, newest first, leaving out workers with none in (now-maxAge, now].
func (s *Store) PatrolPositions(ctx context.Context, unit string, now time.Time, maxAge time.Duration) ([]Position, error) {
	rows, err := s.pool.Query(ctx, patrolPositionsSQL, unit, now.Add(-maxAge), now)
	if err != nil {
		return nil, fmt.Errorf("store: patrol positions: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Position, error) {
		var p Position
		err := r.Scan(&p.Worker, &p.Name, &p.Unit, &p.T, &p.Lon, &p.Lat, &p.AccuracyM)
		p.AgeS = now.Sub(p.T).Seconds()
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: patrol positions: %w", err)
	}
	return ps, nil
}
