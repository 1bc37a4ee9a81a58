package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// TemplateItem is one line of a checklist and how it is judged: pass_fail,
// number (within Min–Max) or photo (a photo is required).
type TemplateItem struct {
	Code        string   `json:"code"`
	Text        string   `json:"text"`
	JudgedBy    string   `json:"judged_by"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Severity    string   `json:"severity"`
	RectifyDays int      `json:"rectify_days"`
}

// InspectionTemplate is one stored version of a checklist for a kind of place.
type InspectionTemplate struct {
	Code     string         `json:"code"`
	Kind     string         `json:"kind"`
	Version  int            `json:"version"`
	Name     string         `json:"name"`
	Schedule string         `json:"schedule"`
	Items    []TemplateItem `json:"items"`
}

const templateCols = `code, kind, version, name, schedule, items`

func scanTemplate(row pgx.Row) (InspectionTemplate, error) {
	var t InspectionTemplate
	err := row.Scan(&t.Code, &t.Kind, &t.Version, &t.Name, &t.Schedule, &t.Items)
	return t, err
}

// InspectionTemplates lists the newest version of every checklist, of one
// kind of place when kind is not empty.
func (s *Store) InspectionTemplates(ctx context.Context, kind string) ([]InspectionTemplate, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (code) `+templateCols+` FROM inspection_templates
        WHERE $1 = '' OR kind = $1 ORDER BY code, version DESC`, kind)
	if err != nil {
		return nil, fmt.Errorf("store: inspection templates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InspectionTemplate, error) { return scanTemplate(r) })
	if err != nil {
		return nil, fmt.Errorf("store: inspection templates: %w", err)
	}
	return out, nil
}

// InspectionTemplate returns version of checklist code; version 0 is the newest.
func (s *Store) InspectionTemplate(ctx context.Context, q Querier, code string, version int) (InspectionTemplate, error) {
	t, err := scanTemplate(q.QueryRow(ctx, `SELECT `+templateCols+` FROM inspection_templates
        WHERE code = $1 AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1`, code, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.New(apperr.ErrInvalid, "no inspection template %q version %d", code, version)
	}
	if err != nil {
		return t, fmt.Errorf("store: inspection template: %w", err)
	}
	return t, nil
}
