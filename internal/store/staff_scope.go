package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

const staffUnitsSQL = `
SELECT s.id, coalesce(array_agg(DISTINCT a.unit_code) FILTER (WHERE a.unit_code IS NOT NULL), '{}')
FROM staff s LEFT JOIN staff_assignments a ON a.staff_id = s.id AND a.status <> 'rejected'
WHERE s.id = $1 GROUP BY s.id`

// StaffUnits returns the units a staff member is (or is asked to be)
// assigned to, any time; ErrNotFound when there is no such person.
func (s *Store) StaffUnits(ctx context.Context, id int64) ([]string, error) {
	var got int64
	var units []string
	err := s.pool.QueryRow(ctx, staffUnitsSQL, id).Scan(&got, &units)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.New(apperr.ErrNotFound, "no staff member %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: staff %d units: %w", id, err)
	}
	return units, nil
}
