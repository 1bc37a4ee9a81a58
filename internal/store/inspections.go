package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// InspectionResult is the answer to one checklist item.
type InspectionResult struct {
	Item     string   `json:"item"`
	OK       bool     `json:"ok"`
	Value    *float64 `json:"value,omitempty"`
	Note     string   `json:"note,omitempty"`
	Photos   []string `json:"photos,omitempty"`
	Deadline string   `json:"deadline,omitempty"` // a failed item: the rectification date, when not the default
}

// Inspection is one recorded inspection of a place.
type Inspection struct {
	ID              string             `json:"id"`
	PlaceID         int64              `json:"place_id"`
	TemplateCode    string             `json:"template"`
	TemplateVersion int                `json:"template_version"`
	InspectorID     *int64             `json:"inspector_id"`
	InspectorName   string             `json:"inspector"`
	InspectedAt     time.Time          `json:"inspected_at"`
	Lon             float64            `json:"lon"`
	Lat             float64            `json:"lat"`
	DistanceM       float64            `json:"distance_m"`
	Far             bool               `json:"far"`
	Passed          bool               `json:"passed"`
	Results         []InspectionResult `json:"results"`
	RegionCode      string             `json:"region_code"`
	RequestHash     []byte             `json:"-"`
}

const inspectionCols = `id::text, place_id, template_code, template_version, inspector_id, inspector_name, inspected_at,
    ST_X(pt), ST_Y(pt), distance_m, far, passed, results, region_code, request_hash`

// InsertInspection stores x unless its id is taken; inserted says which.
func (s *Store) InsertInspection(ctx context.Context, q Querier, x Inspection) (bool, error) {
	res, _ := json.Marshal(x.Results)
	tag, err := q.Exec(ctx, `INSERT INTO inspections (id, request_hash, place_id, template_code, template_version,
            inspector_id, inspector_name, inspected_at, pt, distance_m, far, passed, results, region_code)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ST_SetSRID(ST_MakePoint($9, $10), 4326), $11, $12, $13, $14, $15)
        ON CONFLICT (id) DO NOTHING`,
		x.ID, x.RequestHash, x.PlaceID, x.TemplateCode, x.TemplateVersion, x.InspectorID, x.InspectorName,
		x.InspectedAt, x.Lon, x.Lat, x.DistanceM, x.Far, x.Passed, res, x.RegionCode)
	if err != nil {
		return false, fmt.Errorf("store: insert inspection: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// InspectionByID returns one inspection.
func (s *Store) InspectionByID(ctx context.Context, q Querier, id string) (Inspection, error) {
	if q == nil {
		q = s.pool
	}
	var x Inspection
	err := q.QueryRow(ctx, `SELECT `+inspectionCols+` FROM inspections WHERE id = $1`, id).Scan(&x.ID, &x.PlaceID,
		&x.TemplateCode, &x.TemplateVersion, &x.InspectorID, &x.InspectorName, &x.InspectedAt, &x.Lon, &x.Lat,
		&x.DistanceM, &x.Far, &x.Passed, &x.Results, &x.RegionCode, &x.RequestHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return x, apperr.New(apperr.ErrNotFound, "no inspection %s", id)
	}
	if err != nil {
		return x, fmt.Errorf("store: inspection: %w", err)
	}
	return x, nil
}

// MissingMedia returns those of ids that are not stored photos.
func (s *Store) MissingMedia(ctx context.Context, q Querier, ids []string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT i FROM unnest($1::text[]) i WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.id::text = i)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: media exist: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: media exist: %w", err)
	}
	return out, nil
}

// PlaceSchedule is a place, a checklist that applies to it and when it was
// last inspected with it.
type PlaceSchedule struct {
	PlaceID            int64      `json:"place_id"`
	PlaceName          string     `json:"place_name"`
	GridCode           string     `json:"grid_code"`
	Kind               string     `json:"kind"`
	Template           string     `json:"template"`
	Schedule           string     `json:"schedule"`
	ResponsibleStaffID *int64     `json:"responsible_staff_id"`
	CreatedAt          time.Time  `json:"-"`
	LastInspectedAt    *time.Time `json:"last_inspected_at"`
}

// ScheduleFilter picks places by unit (a grid-code prefix) or by the
// person responsible.
type ScheduleFilter struct {
	Prefix  string
	StaffID int64
}

// PlaceSchedules lists the checklists due at the places of f with their last
// inspection (an index probe per place and checklist).
func (s *Store) PlaceSchedules(ctx context.Context, f ScheduleFilter) ([]PlaceSchedule, error) {
	rows, err := s.pool.Query(ctx, `WITH t AS (
            SELECT DISTINCT ON (code) code, kind, schedule FROM inspection_templates ORDER BY code, version DESC)
        SELECT p.id, p.name, p.grid_code, p.kind, t.code, t.schedule, p.responsible_staff_id, p.created_at, last.at
          FROM places p JOIN t ON t.kind = p.kind
          LEFT JOIN LATERAL (SELECT i.inspected_at AS at FROM inspections i
                WHERE i.place_id = p.id AND i.template_code = t.code ORDER BY i.inspected_at DESC LIMIT 1) last ON true
         WHERE p.grid_code ~>=~ $1 AND p.grid_code ~<~ ($1 || ':') AND ($2 = 0 OR p.responsible_staff_id = $2)
         ORDER BY p.grid_code, p.id, t.code LIMIT 20000`, f.Prefix, f.StaffID)
	if err != nil {
		return nil, fmt.Errorf("store: place schedules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PlaceSchedule, error) {
		var p PlaceSchedule
		err := r.Scan(&p.PlaceID, &p.PlaceName, &p.GridCode, &p.Kind, &p.Template, &p.Schedule, &p.ResponsibleStaffID,
			&p.CreatedAt, &p.LastInspectedAt)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: place schedules: %w", err)
	}
	return out, nil
}
