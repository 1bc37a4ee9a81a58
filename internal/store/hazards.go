package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// Hazard is a failed checklist item under rectification (隐患整改).
type Hazard struct {
	ID                 int64      `json:"id"`
	InspectionID       string     `json:"inspection_id"`
	PlaceID            int64      `json:"place_id"`
	PlaceName          string     `json:"place_name"`
	Lon                float64    `json:"lon"` // the place's point, for the map
	Lat                float64    `json:"lat"`
	GridCode           string     `json:"grid_code"`
	Item               string     `json:"item"`
	ItemText           string     `json:"item_text"`
	Severity           string     `json:"severity"`
	Note               string     `json:"note"`
	ResponsibleStaffID *int64     `json:"responsible_staff_id"`
	ResponsibleName    string     `json:"responsible_name"`
	FoundAt            time.Time  `json:"found_at"`
	Deadline           time.Time  `json:"deadline"`
	State              string     `json:"state"`
	ClosedBy           *string    `json:"closed_by_inspection"`
	ClosedAt           *time.Time `json:"closed_at"`
	EscalatedAt        *time.Time `json:"escalated_at"`
	RegionCode         string     `json:"region_code"`
	IncidentID         *string    `json:"incident_id"` // the case opened when it went overdue
}

const hazardCols = `h.id, h.inspection_id::text, h.place_id, p.name, ST_X(p.pt), ST_Y(p.pt), h.grid_code, h.item, h.item_text, h.severity, h.note,
    h.responsible_staff_id, coalesce(s.name, ''), h.found_at, h.deadline, h.state, h.closed_by_inspection::text,
    h.closed_at, h.escalated_at, h.region_code, i.client_id::text`

const hazardFrom = ` FROM hazards h JOIN places p ON p.id = h.place_id LEFT JOIN staff s ON s.id = h.responsible_staff_id
    LEFT JOIN incidents i ON i.id = h.incident_id `

func scanHazard(row pgx.Row) (Hazard, error) {
	var h Hazard
	err := row.Scan(&h.ID, &h.InspectionID, &h.PlaceID, &h.PlaceName, &h.Lon, &h.Lat, &h.GridCode, &h.Item, &h.ItemText, &h.Severity,
		&h.Note, &h.ResponsibleStaffID, &h.ResponsibleName, &h.FoundAt, &h.Deadline, &h.State, &h.ClosedBy,
		&h.ClosedAt, &h.EscalatedAt, &h.RegionCode, &h.IncidentID)
	return h, err
}

// OpenHazard registers h unless the place's item already has one open;
// opened says which.
func (s *Store) OpenHazard(ctx context.Context, q Querier, h Hazard) (bool, error) {
	tag, err := q.Exec(ctx, `INSERT INTO hazards (inspection_id, place_id, grid_code, item, item_text, severity, note,
            responsible_staff_id, found_at, deadline, region_code)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (place_id, item) WHERE state <> 'closed' DO NOTHING`,
		h.InspectionID, h.PlaceID, h.GridCode, h.Item, h.ItemText, h.Severity, h.Note, h.ResponsibleStaffID,
		h.FoundAt, h.Deadline, h.RegionCode)
	if err != nil {
		return false, fmt.Errorf("store: open hazard: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// CloseHazards closes the place's open or overdue hazards of item by the
// passing inspection; it returns their ids.
func (s *Store) CloseHazards(ctx context.Context, q Querier, place int64, item, inspection string, at time.Time) ([]int64, error) {
	rows, err := q.Query(ctx, `UPDATE hazards SET state = 'closed', closed_by_inspection = $3, closed_at = $4
        WHERE place_id = $1 AND item = $2 AND state <> 'closed' AND found_at <= $4 RETURNING id`, place, item, inspection, at)
	if err != nil {
		return nil, fmt.Errorf("store: close hazards: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: close hazards: %w", err)
	}
	return ids, nil
}

// HazardByID returns one hazard; forUpdate locks it in q's transaction.
func (s *Store) HazardByID(ctx context.Context, q Querier, id int64, forUpdate bool) (Hazard, error) {
	sql := `SELECT ` + hazardCols + hazardFrom + ` WHERE h.id = $1`
	if forUpdate {
		sql += ` FOR UPDATE OF h`
	}
	h, err := scanHazard(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return h, apperr.New(apperr.ErrNotFound, "no hazard %d", id)
	}
	if err != nil {
		return h, fmt.Errorf("store: hazard: %w", err)
	}
	return h, nil
}

// HazardsOf lists the hazards of an inspection (those it opened).
func (s *Store) HazardsOf(ctx context.Context, q Querier, inspection string) ([]Hazard, error) {
	return s.hazards(ctx, q, `SELECT `+hazardCols+hazardFrom+` WHERE h.inspection_id = $1 ORDER BY h.id`, inspection)
}

// Prefixes of unit codes are ranges of the text_pattern_ops indexes: every
// code under prefix P (digits) lies in [P, P || ':'), ':' following '9', so
// even a generic plan of a prepared statement scans only that range (a
// LIKE with a parameter pattern, or "$1 = '' OR …", cannot use the index).

// ListHazards lists the hazards under a grid-code prefix, in one state when
// state is not empty, by deadline.
func (s *Store) ListHazards(ctx context.Context, prefix, state string, limit int) ([]Hazard, error) {
	return s.hazards(ctx, nil, `SELECT `+hazardCols+hazardFrom+` WHERE h.grid_code ~>=~ $1 AND h.grid_code ~<~ ($1 || ':') AND ($2 = '' OR h.state = $2)
        ORDER BY h.deadline, h.id LIMIT $3`, prefix, state, limit)
}

func (s *Store) hazards(ctx context.Context, q Querier, sql string, args ...any) ([]Hazard, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("store: hazards: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Hazard, error) { return scanHazard(r) })
	if err != nil {
		return nil, fmt.Errorf("store: hazards: %w", err)
	}
	return out, nil
}

// MarkHazardsOverdue marks up to batch open hazards whose deadline passed by
// asOf overdue (escalated as of asOf) and returns their ids; SKIP LOCKED
// keeps two sweepers off the same rows.
func (s *Store) MarkHazardsOverdue(ctx context.Context, q Querier, asOf time.Time, batch int) ([]int64, error) {
	rows, err := q.Query(ctx, `UPDATE hazards SET state = 'overdue', escalated_at = $1
        WHERE id IN (SELECT id FROM hazards WHERE state = 'open' AND deadline <= $1 ORDER BY deadline, id
                      LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id`, asOf, batch)
	if err != nil {
		return nil, fmt.Errorf("store: overdue hazards: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("store: overdue hazards: %w", err)
	}
	return ids, nil
}

// HazardCounts counts the hazards under a grid-code prefix by state and
// severity ("open/major" → n).
func (s *Store) HazardCounts(ctx context.Context, prefix string) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT state || '/' || severity, count(*) FROM hazards
        WHERE grid_code ~>=~ $1 AND grid_code ~<~ ($1 || ':') GROUP BY 1`, prefix)
	if err != nil {
		return nil, fmt.Errorf("store: hazard counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("store: hazard counts: %w", err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: hazard counts: %w", err)
	}
	return out, nil
}

// SetHazardIncident records the case (by its sequence number) an overdue
// hazard opened; a hazard that has one keeps it (false).
func (s *Store) SetHazardIncident(ctx context.Context, q Querier, id, seq int64) (bool, error) {
	tag, err := q.Exec(ctx, `UPDATE hazards SET incident_id = $2 WHERE id = $1 AND incident_id IS NULL`, id, seq)
	if err != nil {
		return false, fmt.Errorf("store: hazard incident: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}
