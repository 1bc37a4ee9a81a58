package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// Person is one resident with personal fields in clear; the API masks them.
type Person struct {
	ID          int64     `json:"id"`
	HouseholdID *int64    `json:"household_id"`
	Name        string    `json:"name"`
	IDNumber    string    `json:"id_number"`
	BirthDate   *string   `json:"birth_date,omitempty"`
	Phone       string    `json:"phone"`
	Relation    string    `json:"relation"`
	Residence   string    `json:"residence"`
	Categories  []string  `json:"categories"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Move is one 迁入/迁出 event.
type Move struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"` // in | out
	HouseholdID *int64    `json:"household_id"`
	OnDate      string    `json:"on_date"`
	Note        string    `json:"note"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// PersonCategories returns the controlled list: code → sensitive.
func (s *Store) PersonCategories(ctx context.Context) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, sensitive FROM person_categories`)
	if err != nil {
		return nil, fmt.Errorf("store: person categories: %w", err)
	}
	out := map[string]bool{}
	var c string
	var sens bool
	_, err = pgx.ForEachRow(rows, []any{&c, &sens}, func() error { out[c] = sens; return nil })
	return out, err
}

// HouseholdGrid is the grid of a household's building ("" if unplaced).
func (s *Store) HouseholdGrid(ctx context.Context, householdID int64) (string, error) {
	var g *string
	err := s.pool.QueryRow(ctx, `SELECT b.grid_code FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = $1`, householdID).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.ErrNotFound, "no household %d", householdID)
	}
	if err != nil {
		return "", fmt.Errorf("store: household %d: %w", householdID, err)
	}
	if g == nil {
		return "", nil
	}
	return *g, nil
}

// PersonGrid is the grid of the person's current household, or of the
// household they last moved out of.
func (s *Store) PersonGrid(ctx context.Context, personID int64) (string, error) {
	var g *string
	err := s.pool.QueryRow(ctx, `
		SELECT b.grid_code FROM persons p
		JOIN households h ON h.id = coalesce(p.household_id,
		     (SELECT m.household_id FROM person_moves m WHERE m.person_id = p.id AND m.household_id IS NOT NULL ORDER BY m.id DESC LIMIT 1))
		JOIN buildings b ON b.id = h.building_id WHERE p.id = $1`, personID).Scan(&g)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.New(apperr.ErrNotFound, "no person %d", personID)
	}
	if err != nil {
		return "", fmt.Errorf("store: person %d: %w", personID, err)
	}
	if g == nil {
		return "", nil
	}
	return *g, nil
}

// CreatePerson inserts p into its household with a move-in event on
// moveIn, in one transaction. A person whose ID number is already recorded
// is a conflict: moving them is POST /api/persons/{id}/moves.
func (s *Store) CreatePerson(ctx context.Context, p Person, moveIn string, userID int64) (Person, error) {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var region string
		if err := tx.QueryRow(ctx, `SELECT region_code FROM households WHERE id = $1 FOR SHARE`, *p.HouseholdID).Scan(&region); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return apperr.New(apperr.ErrNotFound, "no household %d", *p.HouseholdID)
			}
			return err
		}
		if p.IDNumber != "" {
			var other int64
			var hh *int64
			err := tx.QueryRow(ctx, `SELECT id, household_id FROM persons WHERE id_number = $1`, p.IDNumber).Scan(&other, &hh)
			if err == nil {
				if hh != nil {
					return apperr.New(apperr.ErrConflict, "this ID number is person %d, already in household %d: record a move instead", other, *hh)
				}
				return apperr.New(apperr.ErrConflict, "this ID number is person %d (moved out): record a move-in for them", other)
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO persons (region_code, household_id, name, id_number, birth_date, phone, relation, residence, categories)
			VALUES ($1, $2, $3, $4, $5::date, $6, $7, $8, $9) RETURNING id, updated_at`,
			region, p.HouseholdID, p.Name, p.IDNumber, p.BirthDate, p.Phone, p.Relation, p.Residence, p.Categories).Scan(&p.ID, &p.UpdatedAt)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return apperr.New(apperr.ErrConflict, "this ID number was recorded concurrently")
		}
		if err != nil {
			return fmt.Errorf("store: insert person: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO person_moves (region_code, person_id, kind, household_id, on_date, user_id) VALUES ($1, $2, 'in', $3, $4, nullif($5, 0))`,
			region, p.ID, p.HouseholdID, moveIn, userID)
		return err
	})
	return p, err
}

const personCols = `id, household_id, name, id_number, to_char(birth_date, 'YYYY-MM-DD'), phone, relation, residence, categories, updated_at`

func scanPersons(rows pgx.Rows) ([]Person, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (p Person, err error) {
		return p, r.Scan(&p.ID, &p.HouseholdID, &p.Name, &p.IDNumber, &p.BirthDate, &p.Phone, &p.Relation, &p.Residence, &p.Categories, &p.UpdatedAt)
	})
}

// HouseholdPersons lists a household's current members (the caller masks
// and audits).
func (s *Store) HouseholdPersons(ctx context.Context, householdID int64) ([]Person, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+personCols+` FROM persons WHERE household_id = $1 ORDER BY id`, householdID)
	if err != nil {
		return nil, fmt.Errorf("store: persons of household %d: %w", householdID, err)
	}
	out, err := scanPersons(rows)
	if err != nil {
		return nil, fmt.Errorf("store: persons of household %d: %w", householdID, err)
	}
	return out, nil
}

// MovePerson appends a move event: "out" leaves the current household,
// "in" enters householdID (only from no household: a person is in one
// household at a time, so a move between households is out, then in).
func (s *Store) MovePerson(ctx context.Context, personID int64, kind string, householdID int64, onDate, note string, userID int64) ([]Move, error) {
	var out []Move
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var cur *int64
		var region string
		err := tx.QueryRow(ctx, `SELECT household_id, region_code FROM persons WHERE id = $1 FOR UPDATE`, personID).Scan(&cur, &region)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.New(apperr.ErrNotFound, "no person %d", personID)
		}
		if err != nil {
			return err
		}
		var last string
		_ = tx.QueryRow(ctx, `SELECT to_char(max(on_date), 'YYYY-MM-DD') FROM person_moves WHERE person_id = $1`, personID).Scan(&last)
		if last != "" && onDate < last {
			return apperr.New(apperr.ErrInvalid, "move date %s is before the last recorded move (%s)", onDate, last)
		}
		var target *int64
		switch kind {
		case "out":
			if cur == nil {
				return apperr.New(apperr.ErrConflict, "person %d is in no household", personID)
			}
			target = cur
			if _, err := tx.Exec(ctx, `UPDATE persons SET household_id = NULL, updated_at = now() WHERE id = $1`, personID); err != nil {
				return err
			}
		case "in":
			if cur != nil {
				return apperr.New(apperr.ErrConflict, "person %d is in household %d: record the move out first", personID, *cur)
			}
			if err := tx.QueryRow(ctx, `SELECT region_code FROM households WHERE id = $1 FOR SHARE`, householdID).Scan(&region); err != nil {
				if errors.Is(err, pgx.ErrNoRows) {
					return apperr.New(apperr.ErrNotFound, "no household %d", householdID)
				}
				return err
			}
			target = &householdID
			if _, err := tx.Exec(ctx, `UPDATE persons SET household_id = $2, region_code = $3, updated_at = now() WHERE id = $1`, personID, householdID, region); err != nil {
				return err
			}
		default:
			return apperr.New(apperr.ErrInvalid, "kind %q: want in or out", kind)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO person_moves (region_code, person_id, kind, household_id, on_date, note, user_id) VALUES ($1, $2, $3, $4, $5, $6, nullif($7, 0))`,
			region, personID, kind, target, onDate, note, userID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, kind, household_id, to_char(on_date, 'YYYY-MM-DD'), note, recorded_at FROM person_moves WHERE person_id = $1 ORDER BY id`, personID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Move
			if err := rows.Scan(&m.ID, &m.Kind, &m.HouseholdID, &m.OnDate, &m.Note, &m.RecordedAt); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
