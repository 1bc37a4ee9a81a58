package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// AddressHit is one gazetteer search result: a dwelling (address level) or a
// building (building level: AddressID nil, UnitNo and Room empty).
type AddressHit struct {
	Level      string  `json:"level"` // "address" or "building"
	AddressID  *int64  `json:"address_id"`
	Text       string  `json:"text"`
	Estate     string  `json:"estate"`
	BuildingNo string  `json:"building_no"`
	UnitNo     string  `json:"unit_no"`
	Room       string  `json:"room"`
	BuildingID int64   `json:"building_id"`
	Lon        float64 `json:"lon"`
	Lat        float64 `json:"lat"`
	GridCode   *string `json:"grid_code"`
	GridName   *string `json:"grid_name"`
	Score      float64 `json:"score"`
}

// Scoring: word similarity of the query to the text or an alias (0–1), +1
// when the text or an alias contains the query, +0.5 when the text starts
// with it or the query starts where the estate starts (the community was
// left out), +0.5 for an exact match.
const searchAddressesSQL = `
WITH cand AS (
    SELECT a.id, a.building_id, a.community_code, a.estate, a.building_no, a.unit_no, a.room, a.full_text,
           a.search_norm, a.alias_norm
    FROM addresses a
    WHERE $1 <% a.search_norm OR a.search_norm LIKE $2 OR (a.alias_norm <> '' AND ($1 <% a.alias_norm OR a.alias_norm LIKE $2))
    LIMIT 5000 -- bounds what a very generic query (say "小区") scores
), scored AS (
    SELECT c.*,
        greatest(word_similarity($1, c.search_norm), word_similarity($1, c.alias_norm))
        + CASE WHEN strpos(c.search_norm, $1) > 0 OR strpos(c.alias_norm, $1) > 0 THEN 1 ELSE 0 END
        + CASE WHEN starts_with(c.search_norm, $1)
                 OR (c.estate <> '' AND strpos(c.search_norm, $1) = strpos(c.search_norm, gazetteer_norm(c.estate))
                     AND strpos(c.search_norm, $1) > 0) THEN 0.5 ELSE 0 END
        + CASE WHEN c.search_norm = $1 OR $1 = ANY (string_to_array(c.alias_norm, ' ')) THEN 0.5 ELSE 0 END AS score
    FROM cand c
), ranked AS (
    SELECT DISTINCT ON (CASE WHEN $3 THEN s.building_id ELSE s.id END) s.*
    FROM scored s
    ORDER BY CASE WHEN $3 THEN s.building_id ELSE s.id END, s.score DESC, s.id
)
SELECT CASE WHEN $3 THEN 'building' ELSE 'address' END,
       CASE WHEN $3 THEN NULL ELSE r.id END,
       CASE WHEN $3 THEN concat_ws(' ', nullif(cu.name, ''), nullif(b.estate, ''), nullif(b.building_no, ''))
            ELSE r.full_text END,
       CASE WHEN $3 THEN b.estate ELSE r.estate END,
       CASE WHEN $3 THEN b.building_no ELSE r.building_no END,
       CASE WHEN $3 THEN '' ELSE r.unit_no END,
       CASE WHEN $3 THEN '' ELSE r.room END,
       r.building_id, ST_X(b.pt), ST_Y(b.pt), b.grid_code, g.name, round(r.score::numeric, 3)::float8
FROM ranked r
JOIN buildings b ON b.id = r.building_id
LEFT JOIN units g ON g.code = b.grid_code
LEFT JOIN units cu ON cu.code = r.community_code
ORDER BY r.score DESC, 3, r.id
LIMIT $4`

// SearchAddresses ranks addresses against norm, a query already normalised
// by gazetteer.Normalize (the same form as addresses.search_norm). With
// buildingLevel each building appears once (its best-scoring address
// decides its rank). An empty norm finds nothing.
func (s *Store) SearchAddresses(ctx context.Context, norm string, buildingLevel bool, limit int) ([]AddressHit, error) {
	if norm == "" || limit <= 0 {
		return []AddressHit{}, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(norm) + "%"
	var out []AddressHit
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// Candidates need half the query's trigrams somewhere in the text.
		if _, err := tx.Exec(ctx, `SELECT set_config('pg_trgm.word_similarity_threshold', '0.5', true)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, searchAddressesSQL, norm, like, buildingLevel, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowToStructByPos[AddressHit])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: search addresses: %w", err)
	}
	return out, nil
}
