package store

// Organisations and facilities (地、物、组织) are places (places.go) whose
// kind's domain is organisation or facility: the reads and edits only they need.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// PlaceKind is one entry of the controlled list of place kinds (migration 000150).
type PlaceKind struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Domain string `json:"domain"` // organisation, facility or part
}

// PlaceKinds is the list, organisations first.
func (s *Store) PlaceKinds(ctx context.Context, q Querier) ([]PlaceKind, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, `SELECT code, name_zh, name_en, domain FROM place_kinds
        ORDER BY array_position(ARRAY['organisation', 'facility', 'part'], domain), code`)
	if err != nil {
		return nil, fmt.Errorf("store: place kinds: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[PlaceKind])
	if err != nil {
		return nil, fmt.Errorf("store: place kinds: %w", err)
	}
	return out, nil
}

// GridAt is the grid holding the point by the lookup index's rule (the
// smallest code on a shared edge, as Reassign and the household import
// decide), "" when no grid holds it.
func (s *Store) GridAt(ctx context.Context, q Querier, lon, lat float64) (string, error) {
	var code *string
	err := q.QueryRow(ctx, `SELECT min(u.code) FROM units u
        WHERE u.level = 4 AND u.geom && ST_SetSRID(ST_MakePoint($1, $2), 4326)
          AND ST_Intersects(u.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`, lon, lat).Scan(&code)
	if err != nil {
		return "", fmt.Errorf("store: grid at: %w", err)
	}
	if code == nil {
		return "", nil
	}
	return *code, nil
}

// orgDomains: the kinds of place that are organisations or facilities (the
// parts of a fire-safety grid are listed by PlacesInGrid).
const orgDomains = `(SELECT code FROM place_kinds WHERE domain IN ('organisation', 'facility'))`

// MaxOrganisations bounds one list.
const MaxOrganisations = 5000

// Organisations lists the organisations and facilities in unit (a code
// prefix), of kind when not "", at most MaxOrganisations.
func (s *Store) Organisations(ctx context.Context, q Querier, unit, kind string) ([]Place, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, `SELECT `+placeCols+` FROM places p LEFT JOIN staff s ON s.id = p.responsible_staff_id
        WHERE p.grid_code LIKE $1 || '%' AND p.kind IN `+orgDomains+` AND ($2 = '' OR p.kind = $2)
        ORDER BY p.grid_code, p.id LIMIT $3`, unit, kind, MaxOrganisations)
	if err != nil {
		return nil, fmt.Errorf("store: organisations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Place, error) { return scanPlace(r) })
	if err != nil {
		return nil, fmt.Errorf("store: organisations: %w", err)
	}
	return out, nil
}

// OrganisationCounts counts unit's organisations and facilities per kind
// (every kind of the list, zeros included), one range of places_grid_kind.
func (s *Store) OrganisationCounts(ctx context.Context, unit string) (map[string]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT k.code, count(p.id) FROM place_kinds k
        LEFT JOIN places p ON p.kind = k.code AND p.grid_code LIKE $1 || '%'
        WHERE k.domain IN ('organisation', 'facility') GROUP BY k.code`, unit)
	if err != nil {
		return nil, fmt.Errorf("store: organisation counts: %w", err)
	}
	out := map[string]int{}
	var k string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&k, &n}, func() error { out[k] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("store: organisation counts: %w", err)
	}
	return out, nil
}

// PlaceEdit is a change of an organisation's fields (nil: unchanged).
type PlaceEdit struct {
	Kind        *string
	Name        *string
	ContactName *string
	Phone       *string
	Address     *string
}

// UpdatePlace applies e to place id.
func (s *Store) UpdatePlace(ctx context.Context, q Querier, id int64, e PlaceEdit) error {
	tag, err := q.Exec(ctx, `UPDATE places SET kind = coalesce($2, kind), name = coalesce($3, name),
            contact_name = coalesce($4, contact_name), phone = coalesce($5, phone), address = coalesce($6, address),
            updated_at = now()
        WHERE id = $1`, id, e.Kind, e.Name, e.ContactName, e.Phone, e.Address)
	if err != nil {
		return fmt.Errorf("store: update place: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.ErrNotFound, "no place %d", id)
	}
	return nil
}

// DeletePlace removes a place entered by mistake; one with inspections,
// visits, hazards or rooms of its own is kept (409): its history refers to it.
func (s *Store) DeletePlace(ctx context.Context, q Querier, id int64) error {
	tag, err := q.Exec(ctx, `DELETE FROM places WHERE id = $1`, id)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" {
		return apperr.New(apperr.ErrConflict, "place %d has inspections, visits, hazards or places below it: it is kept", id)
	}
	if err != nil {
		return fmt.Errorf("store: delete place: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.New(apperr.ErrNotFound, "no place %d", id)
	}
	return nil
}

// SetAddressRental flags address id as let (出租房屋) or not, in one
// transaction with its audit row; allowed is asked about the address's grid
// first (its building's; "" when the building is in no grid).
func (s *Store) SetAddressRental(ctx context.Context, id int64, rental bool, allowed func(grid string) error, audit AuditEntry) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		var grid *string
		err := tx.QueryRow(ctx, `SELECT b.grid_code FROM addresses a JOIN buildings b ON b.id = a.building_id
            WHERE a.id = $1 FOR UPDATE OF a`, id).Scan(&grid)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.ErrNotFound, "no address %d", id)
		}
		if err != nil {
			return fmt.Errorf("store: address rental: %w", err)
		}
		g := ""
		if grid != nil {
			g = *grid
		}
		if err := allowed(g); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE addresses SET rental = $2 WHERE id = $1`, id, rental); err != nil {
			return fmt.Errorf("store: address rental: %w", err)
		}
		audit.Details, _ = json.Marshal(map[string]any{"grid": g, "rental": rental})
		return s.Audit(ctx, tx, audit)
	})
}

// MapOrganisation is an organisation or facility as the map shows it: no
// contact (personal data never goes into tiles).
type MapOrganisation struct {
	ID                 int64
	Grid, Kind, Domain string
	Name               string
	Lon, Lat           float64
}

// MapOrganisations loads every organisation and facility.
func (s *Store) MapOrganisations(ctx context.Context) ([]MapOrganisation, error) {
	rows, err := s.pool.Query(ctx, `SELECT p.id, p.grid_code, p.kind, k.domain, p.name, ST_X(p.pt), ST_Y(p.pt)
        FROM places p JOIN place_kinds k ON k.code = p.kind WHERE k.domain IN ('organisation', 'facility') ORDER BY p.id`)
	if err != nil {
		return nil, fmt.Errorf("store: map organisations: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[MapOrganisation])
	if err != nil {
		return nil, fmt.Errorf("store: map organisations: %w", err)
	}
	return out, nil
}
