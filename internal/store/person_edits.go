package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// SensitiveGrants is the set of sensitive categories granted to the role or
// to the account (person_category_grants).
func (s *Store) SensitiveGrants(ctx context.Context, role string, userID int64) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT category FROM person_category_grants WHERE role = $1 OR user_id = $2`, role, userID)
	if err != nil {
		return nil, fmt.Errorf("store: category grants: %w", err)
	}
	cats, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: category grants: %w", err)
	}
	out := make(map[string]bool, len(cats))
	for _, c := range cats {
		out[c] = true
	}
	return out, nil
}

// GetPerson reads one person in clear (the caller masks).
func (s *Store) GetPerson(ctx context.Context, id int64) (Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+personCols+` FROM persons WHERE id = $1`, id)
	if err != nil {
		return Person{}, fmt.Errorf("store: person %d: %w", id, err)
	}
	ps, err := scanPersons(rows)
	if err != nil {
		return Person{}, fmt.Errorf("store: person %d: %w", id, err)
	}
	if len(ps) == 0 {
		return Person{}, apperr.New(apperr.ErrNotFound, "no person %d", id)
	}
	return ps[0], nil
}

// UpdatePerson writes p's personal fields (never its household: that is a
// move) and the audit line in one transaction.
func (s *Store) UpdatePerson(ctx context.Context, p Person, audit AuditEntry) (Person, error) {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			UPDATE persons SET name = $2, id_number = $3, birth_date = $4::date, phone = $5, relation = $6, residence = $7,
			       categories = $8, updated_at = now()
			WHERE id = $1 RETURNING updated_at`,
			p.ID, p.Name, p.IDNumber, p.BirthDate, p.Phone, p.Relation, p.Residence, p.Categories).Scan(&p.UpdatedAt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return apperr.New(apperr.ErrConflict, "this ID number belongs to another person")
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.ErrNotFound, "no person %d", p.ID)
		}
		if err != nil {
			return fmt.Errorf("store: update person: %w", err)
		}
		return s.Audit(ctx, tx, audit)
	})
	return p, err
}

// DeletePerson removes a wrongly entered person (their moves go with them;
// a real departure is a move out) and writes the audit line, in one transaction.
func (s *Store) DeletePerson(ctx context.Context, id int64, audit AuditEntry) error {
	return s.InTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM persons WHERE id = $1`, id)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23503" {
			return apperr.New(apperr.ErrConflict, "person %d is referenced by other records", id)
		}
		if err != nil {
			return fmt.Errorf("store: delete person: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.ErrNotFound, "no person %d", id)
		}
		return s.Audit(ctx, tx, audit)
	})
}
