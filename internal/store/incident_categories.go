package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// IncidentCategory is one entry of the configurable category catalogue.
type IncidentCategory struct {
	Code         string  `json:"code"`
	ParentCode   *string `json:"parent_code"`
	NameZh       string  `json:"name_zh"`
	NameEn       string  `json:"name_en"`
	HandlingType string  `json:"handling_type"`
	LimitHours   int     `json:"limit_hours"`
	Department   string  `json:"department"`
	Dispute      bool    `json:"dispute"`
	Active       bool    `json:"active"`
}

const categoryCols = `code, parent_code, name_zh, name_en, handling_type, limit_hours, department, dispute, active`

// IncidentCategories lists the catalogue, parents before their children.
func (s *Store) IncidentCategories(ctx context.Context) ([]IncidentCategory, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+categoryCols+` FROM incident_categories
        ORDER BY coalesce(parent_code, code), parent_code IS NOT NULL, code`)
	if err != nil {
		return nil, fmt.Errorf("store: incident categories: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IncidentCategory])
	if err != nil {
		return nil, fmt.Errorf("store: incident categories: %w", err)
	}
	return out, nil
}

// IncidentCategory returns one active category; ErrInvalid names an unknown code.
func (s *Store) IncidentCategory(ctx context.Context, q Querier, code string) (IncidentCategory, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, `SELECT `+categoryCols+` FROM incident_categories WHERE code = $1 AND active`, code)
	if err != nil {
		return IncidentCategory{}, fmt.Errorf("store: incident category: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[IncidentCategory])
	if errors.Is(err, pgx.ErrNoRows) {
		return c, apperr.New(apperr.ErrInvalid, "unknown category %q: see GET /api/incidents/categories", code)
	}
	if err != nil {
		return c, fmt.Errorf("store: incident category: %w", err)
	}
	return c, nil
}
