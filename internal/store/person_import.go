package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// Resident is who already holds an ID number.
type Resident struct {
	PersonID    int64
	HouseholdID *int64
}

// ImportLookups answers an import's questions in two queries: each
// household's grid (absent: no such household; "" unplaced) and who
// already holds each ID number.
func (s *Store) ImportLookups(ctx context.Context, households []int64, idNumbers []string) (map[int64]string, map[string]Resident, error) {
	grids := map[int64]string{}
	rows, err := s.pool.Query(ctx, `SELECT h.id, coalesce(b.grid_code, '') FROM households h LEFT JOIN buildings b ON b.id = h.building_id WHERE h.id = ANY($1)`, households)
	if err != nil {
		return nil, nil, fmt.Errorf("store: import households: %w", err)
	}
	var id int64
	var g string
	if _, err := pgx.ForEachRow(rows, []any{&id, &g}, func() error { grids[id] = g; return nil }); err != nil {
		return nil, nil, fmt.Errorf("store: import households: %w", err)
	}
	held := map[string]Resident{}
	rows, err = s.pool.Query(ctx, `SELECT id_number, id, household_id FROM persons WHERE id_number = ANY($1)`, idNumbers)
	if err != nil {
		return nil, nil, fmt.Errorf("store: import id numbers: %w", err)
	}
	var idn string
	var r Resident
	if _, err := pgx.ForEachRow(rows, []any{&idn, &r.PersonID, &r.HouseholdID}, func() error { held[idn] = r; return nil }); err != nil {
		return nil, nil, fmt.Errorf("store: import id numbers: %w", err)
	}
	return grids, held, nil
}

// ImportPersons inserts ps (checked by the caller) with their move-in
// events and the audit line in one transaction: all or nothing.
func (s *Store) ImportPersons(ctx context.Context, ps []Person, moveIn []string, userID int64, audit AuditEntry) (int, error) {
	n := len(ps)
	hh, ids := make([]int64, n), make([]int64, 0, n)
	names, idns, births, phones, rels, ress, cats := make([]string, n), make([]string, n), make([]*string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range ps {
		hh[i], names[i], idns[i], births[i], phones[i], rels[i], ress[i] = *p.HouseholdID, p.Name, p.IDNumber, p.BirthDate, p.Phone, p.Relation, p.Residence
		cats[i] = strings.Join(p.Categories, ",")
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT nextval('persons_id_seq') FROM generate_series(1, $1)`, n)
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO persons (id, region_code, household_id, name, id_number, birth_date, phone, relation, residence, categories)
			SELECT t.id, h.region_code, t.hh, t.name, t.idn, t.birth::date, t.phone, t.rel, t.res, string_to_array(t.cats, ',')
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
			     AS t(id, hh, name, idn, birth, phone, rel, res, cats)
			JOIN households h ON h.id = t.hh`, ids, hh, names, idns, births, phones, rels, ress, cats)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return apperr.New(apperr.ErrConflict, "an ID number of the file was recorded concurrently; nothing stored")
		}
		if err != nil {
			return fmt.Errorf("store: import persons: %w", err)
		}
		if int(tag.RowsAffected()) != n {
			return apperr.New(apperr.ErrConflict, "a household of the file was removed concurrently; nothing stored")
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO person_moves (region_code, person_id, kind, household_id, on_date, user_id)
			SELECT p.region_code, p.id, 'in', p.household_id, t.d::date, nullif($3, 0)
			FROM unnest($1::bigint[], $2::text[]) AS t(id, d) JOIN persons p ON p.id = t.id`, ids, moveIn, userID); err != nil {
			return fmt.Errorf("store: import moves: %w", err)
		}
		audit.Details, _ = json.Marshal(map[string]any{"persons": n, "first_id": ids[0], "last_id": ids[n-1]})
		return s.Audit(ctx, tx, audit)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
