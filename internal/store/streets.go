package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"wangge/internal/apperr"
)

// Street is one line of a district's street network.
type Street struct {
	Name, Kind string
	Line       orb.LineString
	Feature    int // its feature in the file, for errors
}

const (
	clearStreetsSQL  = `DELETE FROM streets WHERE region_code = $1`
	insertStreetsSQL = `
INSERT INTO streets (region_code, name, kind, geom)
SELECT $1, n, k, ST_GeomFromWKB(g, 4326) FROM unnest($2::text[], $3::text[], $4::bytea[]) AS s(n, k, g)`
	// Lines that do not touch the district are another district's.
	streetsOutsideSQL = `
SELECT i FROM unnest($2::bytea[]) WITH ORDINALITY AS s(g, i), units u
WHERE u.code = $1 || '000000' AND NOT ST_Intersects(u.geom, ST_GeomFromWKB(s.g, 4326))
ORDER BY i LIMIT 20`
)

// ReplaceStreets makes lines the street network of a region (6 digits) in
// one transaction with its audit entry; lines that miss the district store
// nothing. It returns how many lines the region had before.
func (s *Store) ReplaceStreets(ctx context.Context, region string, lines []Street, audit AuditEntry) (int64, error) {
	names, kinds, geoms := make([]string, len(lines)), make([]string, len(lines)), make([][]byte, len(lines))
	for i, l := range lines {
		names[i], kinds[i], geoms[i] = l.Name, l.Kind, encodeWKB(l.Line)
	}
	var before int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, streetsOutsideSQL, region, geoms)
		if err != nil {
			return err
		}
		outside, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if len(outside) > 0 {
			idx := make([]int, len(outside))
			for i, o := range outside {
				idx[i] = lines[o-1].Feature
			}
			return apperr.New(apperr.ErrInvalid, "features %v lie outside district %s000000", idx, region)
		}
		tag, err := tx.Exec(ctx, clearStreetsSQL, region)
		if err != nil {
			return err
		}
		before = tag.RowsAffected()
		if _, err := tx.Exec(ctx, insertStreetsSQL, region, names, kinds, geoms); err != nil {
			return err
		}
		audit.Details, _ = json.Marshal(map[string]any{"region": region, "lines": len(lines), "replaced": before})
		return s.Audit(ctx, tx, audit)
	})
	if err != nil {
		return 0, txError(err, "streets "+region)
	}
	return before, nil
}
