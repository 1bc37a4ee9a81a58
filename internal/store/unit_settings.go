package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
	"wangge/internal/unit"
	"wangge/internal/workcal"
)

// Settings are a unit's own settings; nil fields inherit.
type Settings struct {
	HouseholdsMin    *int            `json:"households_min"`
	HouseholdsMax    *int            `json:"households_max"`
	PeopleMin        *int            `json:"people_min"`
	PeopleMax        *int            `json:"people_max"`
	PatrolHoursWeek  *float64        `json:"patrol_hours_week"`
	StaffMinAge      *int            `json:"staff_min_age"`
	StaffMaxAge      *int            `json:"staff_max_age"`
	Calendar         json.RawMessage `json:"calendar"`
	SupervisionPhone *string         `json:"supervision_phone"`
}

// Effective is what applies to a unit: its own value, else the nearest
// ancestor's, else the default. The defaults are the band the project
// shipped with (200–500 households, 1,000–1,500 people) and the age rule
// most schemes print (18–55).
type Effective struct {
	HouseholdsMin    int             `json:"households_min"`
	HouseholdsMax    int             `json:"households_max"`
	PeopleMin        int             `json:"people_min"`
	PeopleMax        int             `json:"people_max"`
	PatrolHoursWeek  float64         `json:"patrol_hours_week"`
	StaffMinAge      int             `json:"staff_min_age"`
	StaffMaxAge      int             `json:"staff_max_age"`
	Calendar         json.RawMessage `json:"calendar"`
	SupervisionPhone string          `json:"supervision_phone"`
}

const effectiveSQL = `
WITH RECURSIVE up AS (
    SELECT code, parent_code, 0 AS depth FROM units WHERE code = $1
    UNION ALL
    SELECT p.code, p.parent_code, up.depth + 1 FROM units p JOIN up ON p.code = up.parent_code
)
SELECT count(*),
    coalesce((array_agg(s.households_min ORDER BY depth) FILTER (WHERE s.households_min IS NOT NULL))[1], 200),
    coalesce((array_agg(s.households_max ORDER BY depth) FILTER (WHERE s.households_max IS NOT NULL))[1], 500),
    coalesce((array_agg(s.people_min ORDER BY depth) FILTER (WHERE s.people_min IS NOT NULL))[1], 1000),
    coalesce((array_agg(s.people_max ORDER BY depth) FILTER (WHERE s.people_max IS NOT NULL))[1], 1500),
    coalesce((array_agg(s.patrol_hours_week ORDER BY depth) FILTER (WHERE s.patrol_hours_week IS NOT NULL))[1], 20)::float8,
    coalesce((array_agg(s.staff_min_age ORDER BY depth) FILTER (WHERE s.staff_min_age IS NOT NULL))[1], 18),
    coalesce((array_agg(s.staff_max_age ORDER BY depth) FILTER (WHERE s.staff_max_age IS NOT NULL))[1], 55),
    coalesce((array_agg(s.calendar ORDER BY depth) FILTER (WHERE s.calendar IS NOT NULL))[1], $2::jsonb),
    coalesce((array_agg(s.supervision_phone ORDER BY depth) FILTER (WHERE s.supervision_phone IS NOT NULL))[1], '')
FROM up LEFT JOIN unit_settings s USING (code)`

// EffectiveSettings resolves the settings of unit code through its chain.
func (s *Store) EffectiveSettings(ctx context.Context, code string) (Effective, error) {
	return s.effectiveSettings(ctx, s.pool, code)
}

func (s *Store) effectiveSettings(ctx context.Context, q Querier, code string) (Effective, error) {
	var e Effective
	var n int
	err := q.QueryRow(ctx, effectiveSQL, code, workcal.DefaultSettings).Scan(&n, &e.HouseholdsMin, &e.HouseholdsMax, &e.PeopleMin, &e.PeopleMax,
		&e.PatrolHoursWeek, &e.StaffMinAge, &e.StaffMaxAge, &e.Calendar, &e.SupervisionPhone)
	if err != nil {
		return e, fmt.Errorf("store: settings of %s: %w", code, err)
	}
	if n == 0 {
		return e, apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
	}
	return e, nil
}

// OwnSettings returns what the unit sets itself (all nil when nothing).
func (s *Store) OwnSettings(ctx context.Context, code string) (Settings, error) {
	var o Settings
	var hw *float64
	err := s.pool.QueryRow(ctx, `SELECT households_min, households_max, people_min, people_max, patrol_hours_week::float8,
        staff_min_age, staff_max_age, calendar, supervision_phone FROM unit_settings WHERE code = $1`, code).
		Scan(&o.HouseholdsMin, &o.HouseholdsMax, &o.PeopleMin, &o.PeopleMax, &hw, &o.StaffMinAge, &o.StaffMaxAge, &o.Calendar, &o.SupervisionPhone)
	o.PatrolHoursWeek = hw
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("store: own settings of %s: %w", code, err)
	}
	return o, nil
}

// PutSettings replaces the unit's own settings.
func (s *Store) PutSettings(ctx context.Context, q Querier, code string, o Settings, by string) error {
	var cal any
	if len(o.Calendar) > 0 && string(o.Calendar) != "null" {
		if _, err := workcal.Parse(o.Calendar, nil); err != nil {
			return apperr.New(apperr.ErrInvalid, "%v", err)
		}
		cal = string(o.Calendar)
	}
	_, err := q.Exec(ctx, `INSERT INTO unit_settings (code, households_min, households_max, people_min, people_max,
        patrol_hours_week, staff_min_age, staff_max_age, calendar, supervision_phone, updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)
        ON CONFLICT (code) DO UPDATE SET households_min = EXCLUDED.households_min, households_max = EXCLUDED.households_max,
            people_min = EXCLUDED.people_min, people_max = EXCLUDED.people_max, patrol_hours_week = EXCLUDED.patrol_hours_week,
            staff_min_age = EXCLUDED.staff_min_age, staff_max_age = EXCLUDED.staff_max_age, calendar = EXCLUDED.calendar,
            supervision_phone = EXCLUDED.supervision_phone, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		code, o.HouseholdsMin, o.HouseholdsMax, o.PeopleMin, o.PeopleMax, o.PatrolHoursWeek, o.StaffMinAge, o.StaffMaxAge, cal, o.SupervisionPhone, by)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23503":
			return apperr.New(apperr.ErrNotFound, "no unit with code %q", code)
		case "23514":
			return apperr.New(apperr.ErrInvalid, "settings of %s: a value is out of range or min > max (%s)", code, pgErr.ConstraintName)
		}
	}
	if err != nil {
		return fmt.Errorf("store: settings of %s: %w", code, err)
	}
	return nil
}

const bandsSQL = `
WITH RECURSIVE up AS (
    SELECT c AS leaf, c AS code, 0 AS depth FROM unnest($1::text[]) c
    UNION ALL
    SELECT up.leaf, u.parent_code, up.depth + 1 FROM up JOIN units u ON u.code = up.code
     WHERE u.parent_code IS NOT NULL AND u.parent_code <> ''
)
SELECT leaf,
    coalesce((array_agg(s.households_min ORDER BY depth) FILTER (WHERE s.households_min IS NOT NULL))[1], $2),
    coalesce((array_agg(s.households_max ORDER BY depth) FILTER (WHERE s.households_max IS NOT NULL))[1], $3),
    coalesce((array_agg(s.people_min ORDER BY depth) FILTER (WHERE s.people_min IS NOT NULL))[1], $4),
    coalesce((array_agg(s.people_max ORDER BY depth) FILTER (WHERE s.people_max IS NOT NULL))[1], $5)
FROM up LEFT JOIN unit_settings s USING (code) GROUP BY leaf`

// Bands resolves the household and people band of each unit in codes (its
// own setting, else the nearest ancestor's, else unit.DefaultBand) in one
// query: what reports, the grid card and the leader display judge grids by.
func (s *Store) Bands(ctx context.Context, codes []string) (map[string]unit.Band, error) {
	d := unit.DefaultBand
	rows, err := s.pool.Query(ctx, bandsSQL, codes, d.MinHouseholds, d.MaxHouseholds, d.MinPeople, d.MaxPeople)
	if err != nil {
		return nil, fmt.Errorf("store: bands: %w", err)
	}
	defer rows.Close()
	out := make(map[string]unit.Band, len(codes))
	for rows.Next() {
		var c string
		var b unit.Band
		if err := rows.Scan(&c, &b.MinHouseholds, &b.MaxHouseholds, &b.MinPeople, &b.MaxPeople); err != nil {
			return nil, fmt.Errorf("store: bands: %w", err)
		}
		out[c] = b
	}
	return out, rows.Err()
}
