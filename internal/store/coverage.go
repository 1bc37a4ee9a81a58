package store

// The SQL coverage validator (function coverage_defects, migration 000011).

import (
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
)

const validationSQL = `
SELECT json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(d.geom, 7)::json,
    'properties', json_build_object('kind', d.kind, 'level', l.name, 'parent_code', d.parent_code,
        'codes', d.codes, 'size', d.size, 'unit', 'm2', 'message', d.message))::text
FROM coverage_defects($1, $2) d LEFT JOIN unit_levels l ON l.level = d.level
ORDER BY d.kind, d.parent_code, d.codes`

// StreamDefects writes the SQL coverage validator's defects under root
// (every level below it) as a GeoJSON FeatureCollection.
func (s *Store) StreamDefects(ctx context.Context, root string, minArea float64, w io.Writer) error {
	if _, err := s.unitLevel(ctx, root); err != nil {
		return err
	}
	rows, err := s.pool.Query(ctx, validationSQL, root, minArea)
	if err != nil {
		return fmt.Errorf("store: validation: %w", err)
	}
	return streamFeatures(rows, w)
}

// SQLDefect is one row of coverage_defects.
type SQLDefect struct {
	Kind    string
	Level   string // level name of the units concerned
	Parent  string
	Codes   []string
	Geom    orb.Geometry
	Size    float64
	Message string
}

// Defects runs the SQL coverage validator under root ("" everywhere).
func (s *Store) Defects(ctx context.Context, root string, minArea float64) ([]SQLDefect, error) {
	var r *string
	if root != "" {
		r = &root
	}
	return collectDefects(s.pool.Query(ctx, `SELECT d.kind, coalesce(l.name, ''), coalesce(d.parent_code, ''), d.codes, ST_AsBinary(d.geom), d.size, d.message
        FROM coverage_defects($1, $2) d LEFT JOIN unit_levels l ON l.level = d.level`, r, minArea))
}

// DefectsNear runs the validator's rules on the children of parent whose
// boxes meet env, and on the gaps inside env (coverage_defects_near,
// migration 000031): the re-check of a write that changed nothing outside
// env, on q (the writer's transaction).
func (s *Store) DefectsNear(ctx context.Context, q Querier, parent string, env orb.Bound, minArea float64) ([]SQLDefect, error) {
	return collectDefects(q.Query(ctx, `SELECT d.kind, coalesce(l.name, ''), coalesce(d.parent_code, ''), d.codes, ST_AsBinary(d.geom), d.size, d.message
        FROM coverage_defects_near($1, ST_MakeEnvelope($2, $3, $4, $5, 4326), $6) d LEFT JOIN unit_levels l ON l.level = d.level`,
		parent, env.Min[0], env.Min[1], env.Max[0], env.Max[1], minArea))
}

func collectDefects(rows pgx.Rows, err error) ([]SQLDefect, error) {
	if err != nil {
		return nil, fmt.Errorf("store: defects: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (d SQLDefect, err error) {
		return d, r.Scan(&d.Kind, &d.Level, &d.Parent, &d.Codes, geometryCol{&d.Geom}, &d.Size, &d.Message)
	})
	if err != nil {
		return nil, fmt.Errorf("store: defects: %w", err)
	}
	return out, nil
}
