package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// IncidentPoint is a case as the map layer draws it.
type IncidentPoint struct {
	Seq      int64
	ID       string
	State    string
	Category string
	Type     string
	Overdue  bool
	Level    int
	Lon, Lat float64
}

// The point index finds the tile's cases; overdue cases, then the newest,
// survive the per-tile cap, so a crowded tile still shows what needs action.
const incidentPointsSQL = `
SELECT i.id, coalesce(i.client_id::text, ''), i.status, i.category, i.type, i.overdue, i.level::int, ST_X(i.pt), ST_Y(i.pt)
FROM incidents i
WHERE i.pt && ST_MakeEnvelope($1, $2, $3, $4, 4326)
  AND ($5 = '' OR coalesce(i.grid_code, i.community_code) LIKE $5 || '%' OR i.reported_by = $6)
  AND ($7 = '' OR i.status = $7 OR ($7 = 'open' AND i.status NOT IN ('closed', 'invalid')))
  AND ($8 = '' OR i.category = $8 OR i.category LIKE $8 || '.%')
  AND ($9::timestamptz IS NULL OR i.reported_at >= $9)
  AND ($10::timestamptz IS NULL OR i.reported_at < $10)
  AND ($11::boolean IS NULL OR i.overdue = $11)
ORDER BY i.overdue DESC, i.reported_at DESC, i.id DESC
LIMIT $12`

// IncidentPoints returns up to f.Limit cases inside bbox (minlon, minlat,
// maxlon, maxlat) that f selects (scope, state, category, time, overdue).
func (s *Store) IncidentPoints(ctx context.Context, bbox [4]float64, f IncidentFilter) ([]IncidentPoint, error) {
	rows, err := s.pool.Query(ctx, incidentPointsSQL, bbox[0], bbox[1], bbox[2], bbox[3], f.ScopePrefix, f.ReporterOr,
		f.State, f.Category, f.From, f.To, f.Overdue, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: incident points: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IncidentPoint])
	if err != nil {
		return nil, fmt.Errorf("store: incident points: %w", err)
	}
	return out, nil
}
