package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// Drill is one drill held by a dedicated grid (消防演练).
type Drill struct {
	ID           string    `json:"id"`
	GridCode     string    `json:"grid_code"`
	HeldOn       time.Time `json:"held_on"`
	Scenario     string    `json:"scenario"`
	Participants int       `json:"participants"`
	Photos       []string  `json:"photos"`
	RecordedBy   *int64    `json:"recorded_by"`
	Recorder     string    `json:"recorder"`
	RegionCode   string    `json:"region_code"`
	RequestHash  []byte    `json:"-"`
}

// InsertDrill stores d unless its id is taken; inserted says which.
func (s *Store) InsertDrill(ctx context.Context, q Querier, d Drill) (bool, error) {
	tag, err := q.Exec(ctx, `INSERT INTO drills (id, request_hash, grid_code, held_on, scenario, participants, photos,
            recorded_by, recorder, region_code)
        VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8, $9, left($3, 6)) ON CONFLICT (id) DO NOTHING`,
		d.ID, d.RequestHash, d.GridCode, d.HeldOn, d.Scenario, d.Participants, d.Photos, d.RecordedBy, d.Recorder)
	if err != nil {
		return false, fmt.Errorf("store: insert drill: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// DrillByID returns one drill.
func (s *Store) DrillByID(ctx context.Context, q Querier, id string) (Drill, error) {
	var d Drill
	err := q.QueryRow(ctx, `SELECT id::text, grid_code, held_on, scenario, participants, photos::text[], recorded_by,
            recorder, region_code, request_hash FROM drills WHERE id = $1`, id).Scan(&d.ID, &d.GridCode, &d.HeldOn,
		&d.Scenario, &d.Participants, &d.Photos, &d.RecordedBy, &d.Recorder, &d.RegionCode, &d.RequestHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, apperr.New(apperr.ErrNotFound, "no drill %s", id)
	}
	if err != nil {
		return d, fmt.Errorf("store: drill: %w", err)
	}
	return d, nil
}

// DrillStatus is a dedicated grid and its latest drill.
type DrillStatus struct {
	GridCode  string     `json:"grid_code"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	LastDrill *time.Time `json:"last_drill"`
	Drills    int        `json:"drills_since"`
}

// DrillStatuses lists the school and enterprise grids under prefix with
// their latest drill and how many were held on or after since.
func (s *Store) DrillStatuses(ctx context.Context, prefix string, since time.Time) ([]DrillStatus, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.code, u.name, u.kind, d.last, coalesce(d.n, 0)
          FROM units u LEFT JOIN LATERAL (SELECT max(held_on) AS last, count(*) FILTER (WHERE held_on >= $2::date) AS n
                 FROM drills WHERE grid_code = u.code) d ON true
         WHERE u.level = 4 AND u.kind IN ('school', 'enterprise') AND u.code LIKE $1 || '%'
         ORDER BY u.code LIMIT 20000`, prefix, since.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("store: drill statuses: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DrillStatus, error) {
		var d DrillStatus
		err := r.Scan(&d.GridCode, &d.Name, &d.Kind, &d.LastDrill, &d.Drills)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: drill statuses: %w", err)
	}
	return out, nil
}
