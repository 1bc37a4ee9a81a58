package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
// last inspected with it; ResponsibleStaffID is the person its
// responsibility falls to (its own, else its nearest ancestor's).
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

// placeScheduleSQL lists the checklists of the places in sel (id, name,
// grid_code, kind, created_at, staff: the person responsible, its own or
// its nearest ancestor's) with the last inspection of each, an index probe
// (inspections_place_time) per place and checklist.
const placeScheduleSQL = `
    t AS (SELECT DISTINCT ON (code) code, kind, schedule FROM inspection_templates ORDER BY code, version DESC)
    SELECT pl.id, pl.name, pl.grid_code, pl.kind, t.code, t.schedule, pl.staff, pl.created_at, last.at
      FROM sel pl JOIN t ON t.kind = pl.kind
      LEFT JOIN LATERAL (SELECT i.inspected_at AS at FROM inspections i
            WHERE i.place_id = pl.id AND i.template_code = t.code ORDER BY i.inspected_at DESC LIMIT 1) last ON true
     ORDER BY pl.grid_code, pl.id, t.code LIMIT 20000`

// schedulesOfUnitSQL: the places of a grid-code prefix, walked down from
// the ones without a parent (a parent lies in the same grid), so each
// carries the person its responsibility falls to.
const schedulesOfUnitSQL = `WITH RECURSIVE pl AS (
        SELECT id, name, grid_code, kind, created_at, responsible_staff_id AS staff, 0 AS depth FROM places
         WHERE grid_code ~>=~ $1 AND grid_code ~<~ ($1 || ':') AND parent_id IS NULL
        UNION ALL
        SELECT c.id, c.name, c.grid_code, c.kind, c.created_at, coalesce(c.responsible_staff_id, pl.staff), pl.depth + 1
          FROM places c JOIN pl ON c.parent_id = pl.id WHERE pl.depth < 20),
    sel AS (SELECT * FROM pl),` + placeScheduleSQL

// schedulesOfStaffSQL: the places a person is responsible for — named on
// them (places_staff), and below them where no one else is named
// (places_parent) — within a grid-code prefix.
const schedulesOfStaffSQL = `WITH RECURSIVE pl AS (
        SELECT id, name, grid_code, kind, created_at, responsible_staff_id AS staff, 0 AS depth FROM places
         WHERE responsible_staff_id = $2
        UNION ALL
        SELECT c.id, c.name, c.grid_code, c.kind, c.created_at, pl.staff, pl.depth + 1
          FROM places c JOIN pl ON c.parent_id = pl.id WHERE c.responsible_staff_id IS NULL AND pl.depth < 20),
    sel AS (SELECT * FROM pl WHERE grid_code ~>=~ $1 AND grid_code ~<~ ($1 || ':')),` + placeScheduleSQL

func (f ScheduleFilter) query() (string, []any) {
	if f.StaffID != 0 {
		return schedulesOfStaffSQL, []any{f.Prefix, f.StaffID}
	}
	return schedulesOfUnitSQL, []any{f.Prefix}
}

// ExplainPlaceSchedules is PostgreSQL's plan of PlaceSchedules(f), run
// (EXPLAIN ANALYZE, BUFFERS): what the due list at city scale costs and why.
func (s *Store) ExplainPlaceSchedules(ctx context.Context, f ScheduleFilter) (string, error) {
	query, args := f.query()
	rows, err := s.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "+query, args...)
	if err != nil {
		return "", fmt.Errorf("store: explain place schedules: %w", err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("store: explain place schedules: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// PlaceSchedules lists the checklists due at the places of f with their last
// inspection: a unit's places, or the places a person is responsible for
// (a room without its own person falls to its building's), each with the
// person responsible.
func (s *Store) PlaceSchedules(ctx context.Context, f ScheduleFilter) ([]PlaceSchedule, error) {
	query, args := f.query()
	rows, err := s.pool.Query(ctx, query, args...)
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
