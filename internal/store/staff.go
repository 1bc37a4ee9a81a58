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

// Staffer is one member of the grid force (网格力量), as the staff table holds
// them. BirthDate is personal: it never reaches a public card.
type Staffer struct {
	ID               int64      `json:"id"`
	Name             string     `json:"name"`
	Phone            string     `json:"phone"`
	Post             string     `json:"post"`
	Duties           string     `json:"duties"`
	BirthDate        *time.Time `json:"birth_date"`
	SupervisionPhone string     `json:"supervision_phone"`
	PhotoID          *int64     `json:"photo_id"`
	RetiredAt        *time.Time `json:"retired_at"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

const staffCols = `id, name, phone, post, duties, birth_date, supervision_phone, photo_id, retired_at, created_at, updated_at`

func scanStaffer(row pgx.Row) (Staffer, error) {
	var p Staffer
	err := row.Scan(&p.ID, &p.Name, &p.Phone, &p.Post, &p.Duties, &p.BirthDate, &p.SupervisionPhone, &p.PhotoID, &p.RetiredAt, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// staffConstraintError turns a staff CHECK failure into ErrInvalid.
func staffConstraintError(err error, what string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" {
		return apperr.New(apperr.ErrInvalid, "%s: %s is not acceptable (constraint %s)", what, pgErr.ColumnName, pgErr.ConstraintName)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// CreateStaffer inserts a person.
func (s *Store) CreateStaffer(ctx context.Context, q Querier, p Staffer) (Staffer, error) {
	row := q.QueryRow(ctx, `INSERT INTO staff (name, phone, post, duties, birth_date, supervision_phone)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+staffCols, p.Name, p.Phone, p.Post, p.Duties, p.BirthDate, p.SupervisionPhone)
	out, err := scanStaffer(row)
	if err != nil {
		return out, staffConstraintError(err, "create staff")
	}
	return out, nil
}

// UpdateStaffer replaces a person's editable fields.
func (s *Store) UpdateStaffer(ctx context.Context, q Querier, p Staffer) (Staffer, error) {
	row := q.QueryRow(ctx, `UPDATE staff SET name = $2, phone = $3, post = $4, duties = $5, birth_date = $6,
        supervision_phone = $7, updated_at = now() WHERE id = $1 RETURNING `+staffCols,
		p.ID, p.Name, p.Phone, p.Post, p.Duties, p.BirthDate, p.SupervisionPhone)
	out, err := scanStaffer(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, apperr.New(apperr.ErrNotFound, "no staff member %d", p.ID)
	}
	if err != nil {
		return out, staffConstraintError(err, "update staff")
	}
	return out, nil
}

// StafferByID returns one person; forUpdate locks the row in q's transaction.
func (s *Store) StafferByID(ctx context.Context, q Querier, id int64, forUpdate bool) (Staffer, error) {
	sql := `SELECT ` + staffCols + ` FROM staff WHERE id = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	p, err := scanStaffer(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.ErrNotFound, "no staff member %d", id)
	}
	if err != nil {
		return p, fmt.Errorf("store: staff %d: %w", id, err)
	}
	return p, nil
}

// RetireStaffer marks a person retired and ends their open assignments the
// day before asOf; it returns the units whose cards change.
func (s *Store) RetireStaffer(ctx context.Context, q Querier, id int64, asOf time.Time) ([]string, error) {
	if _, err := q.Exec(ctx, `UPDATE staff SET retired_at = now(), updated_at = now() WHERE id = $1 AND retired_at IS NULL`, id); err != nil {
		return nil, fmt.Errorf("store: retire %d: %w", id, err)
	}
	rows, err := q.Query(ctx, `UPDATE staff_assignments SET to_date = greatest(from_date, $2::date - 1)
        WHERE staff_id = $1 AND (to_date IS NULL OR to_date >= $2::date) AND status <> 'rejected' RETURNING unit_code`, id, asOf)
	if err != nil {
		return nil, fmt.Errorf("store: retire %d: %w", id, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// StandInUnits lists the units where id serves (for card refreshes).
func (s *Store) StandInUnits(ctx context.Context, q Querier, ids ...int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT unit_code FROM staff_assignments WHERE staff_id = ANY($1)
        UNION SELECT DISTINCT a.unit_code FROM staff_leaves l JOIN staff_assignments a ON a.staff_id = l.staff_id WHERE l.stand_in_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: units of staff: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// Photo is a stored staff photo.
type Photo struct {
	ID            int64
	StaffID       int64
	ContentType   string
	Width, Height int
	Data, Thumb   []byte
}

// PutPhoto stores a photo and makes it the person's current one.
func (s *Store) PutPhoto(ctx context.Context, q Querier, p Photo) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO staff_photos (staff_id, content_type, width, height, data, thumb)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, p.StaffID, p.ContentType, p.Width, p.Height, p.Data, p.Thumb).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: photo of %d: %w", p.StaffID, err)
	}
	if _, err := q.Exec(ctx, `UPDATE staff SET photo_id = $2, updated_at = now() WHERE id = $1`, p.StaffID, id); err != nil {
		return 0, fmt.Errorf("store: photo of %d: %w", p.StaffID, err)
	}
	return id, nil
}

// PhotoOf returns a person's current photo (ErrNotFound when none).
func (s *Store) PhotoOf(ctx context.Context, staffID int64) (Photo, error) {
	var p Photo
	err := s.pool.QueryRow(ctx, `SELECT ph.id, ph.staff_id, ph.content_type, ph.width, ph.height, ph.data, ph.thumb
        FROM staff s JOIN staff_photos ph ON ph.id = s.photo_id WHERE s.id = $1`, staffID).
		Scan(&p.ID, &p.StaffID, &p.ContentType, &p.Width, &p.Height, &p.Data, &p.Thumb)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.New(apperr.ErrNotFound, "staff member %d has no photo", staffID)
	}
	if err != nil {
		return p, fmt.Errorf("store: photo of %d: %w", staffID, err)
	}
	return p, nil
}

// Assignment is one period of one person in one role at one unit.
type Assignment struct {
	ID          int64      `json:"id"`
	StaffID     int64      `json:"staff_id"`
	StaffName   string     `json:"staff_name"`
	Unit        string     `json:"unit_code"`
	Role        string     `json:"role"`
	From        time.Time  `json:"from"`
	To          *time.Time `json:"to"`
	Status      string     `json:"status"`
	ReplacesID  *int64     `json:"replaces_id"`
	RequestedBy string     `json:"requested_by"`
	DecidedBy   *string    `json:"decided_by"`
	DecidedAt   *time.Time `json:"decided_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

const assignmentCols = `a.id, a.staff_id, s.name, a.unit_code, a.role, a.from_date, a.to_date, a.status, a.replaces_id,
    a.requested_by, a.decided_by, a.decided_at, a.created_at`

func scanAssignment(row pgx.Row) (Assignment, error) {
	var a Assignment
	err := row.Scan(&a.ID, &a.StaffID, &a.StaffName, &a.Unit, &a.Role, &a.From, &a.To, &a.Status, &a.ReplacesID,
		&a.RequestedBy, &a.DecidedBy, &a.DecidedAt, &a.CreatedAt)
	return a, err
}

// InsertAssignment stores a new assignment (active or pending).
func (s *Store) InsertAssignment(ctx context.Context, q Querier, a Assignment) (Assignment, error) {
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO staff_assignments (staff_id, unit_code, region_code, role, from_date, to_date, status, replaces_id, requested_by)
        VALUES ($1, $2, left($2, 6), $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.StaffID, a.Unit, a.Role, a.From, a.To, a.Status, a.ReplacesID, a.RequestedBy).Scan(&id)
	if err != nil {
		return a, staffConstraintError(err, "assign")
	}
	return s.AssignmentByID(ctx, q, id, false)
}

// AssignmentByID returns one assignment; forUpdate locks it.
func (s *Store) AssignmentByID(ctx context.Context, q Querier, id int64, forUpdate bool) (Assignment, error) {
	sql := `SELECT ` + assignmentCols + ` FROM staff_assignments a JOIN staff s ON s.id = a.staff_id WHERE a.id = $1`
	if forUpdate {
		sql += ` FOR UPDATE OF a`
	}
	a, err := scanAssignment(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return a, apperr.New(apperr.ErrNotFound, "no assignment %d", id)
	}
	if err != nil {
		return a, fmt.Errorf("store: assignment %d: %w", id, err)
	}
	return a, nil
}

// Assignments lists every assignment of a unit, newest first (the history).
func (s *Store) Assignments(ctx context.Context, q Querier, unit string) ([]Assignment, error) {
	rows, err := q.Query(ctx, `SELECT `+assignmentCols+` FROM staff_assignments a JOIN staff s ON s.id = a.staff_id
        WHERE a.unit_code = $1 ORDER BY a.from_date DESC, a.id DESC`, unit)
	if err != nil {
		return nil, fmt.Errorf("store: assignments of %s: %w", unit, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Assignment, error) { return scanAssignment(r) })
	if err != nil {
		return nil, fmt.Errorf("store: assignments of %s: %w", unit, err)
	}
	return out, nil
}

// ActiveAssignment returns the assignment of role at unit in force on day
// (nil when none), locked.
func (s *Store) ActiveAssignment(ctx context.Context, q Querier, unit, role string, day time.Time) (*Assignment, error) {
	a, err := scanAssignment(q.QueryRow(ctx, `SELECT `+assignmentCols+` FROM staff_assignments a JOIN staff s ON s.id = a.staff_id
        WHERE a.unit_code = $1 AND a.role = $2 AND a.status = 'active' AND a.from_date <= $3 AND (a.to_date IS NULL OR a.to_date >= $3)
        ORDER BY a.from_date DESC LIMIT 1 FOR UPDATE OF a`, unit, role, day))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: active %s at %s: %w", role, unit, err)
	}
	return &a, nil
}

// DecideAssignment approves (status active) or rejects a pending assignment.
func (s *Store) DecideAssignment(ctx context.Context, q Querier, id int64, status, by string) error {
	_, err := q.Exec(ctx, `UPDATE staff_assignments SET status = $2, decided_by = $3, decided_at = now() WHERE id = $1`, id, status, by)
	if err != nil {
		return fmt.Errorf("store: decide assignment %d: %w", id, err)
	}
	return nil
}

// EndAssignment closes an assignment on day to.
func (s *Store) EndAssignment(ctx context.Context, q Querier, id int64, to time.Time) error {
	_, err := q.Exec(ctx, `UPDATE staff_assignments SET to_date = greatest(from_date, $2::date) WHERE id = $1`, id, to)
	if err != nil {
		return fmt.Errorf("store: end assignment %d: %w", id, err)
	}
	return nil
}

// InsertLeave records that standIn covers staffID's units from..to.
func (s *Store) InsertLeave(ctx context.Context, q Querier, staffID, standIn int64, from, to time.Time, by string) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO staff_leaves (staff_id, stand_in_id, from_date, to_date, created_by)
        VALUES ($1, $2, $3, $4, $5) RETURNING id`, staffID, standIn, from, to, by).Scan(&id)
	if err != nil {
		return 0, staffConstraintError(err, "leave")
	}
	return id, nil
}

// refreshCardsSQL rebuilds the card rows that assignments own for the
// units in $1 as of day $2: the people in force that day, a person on leave
// replaced by their stand-in (who then answers lookups), retired people
// left out. Demo rows (no assignment) are kept.
const refreshCardsSQL = `
INSERT INTO grid_staff (unit_code, role, name, phone, user_id, sort, assignment_id, staff_id, stand_in_for)
SELECT a.unit_code, a.role, coalesce(b.name, s.name), coalesce(b.phone, s.phone), coalesce(b.user_id, s.user_id),
       array_position(ARRAY['grid_instructor', 'grid_leader', 'grid_worker', 'part_time_worker', 'informant',
                            'building_leader', 'police', 'volunteer'], a.role),
       a.id, coalesce(b.id, s.id), CASE WHEN b.id IS NULL THEN '' ELSE s.name END
FROM staff_assignments a
JOIN staff s ON s.id = a.staff_id
LEFT JOIN LATERAL (
    SELECT st.id, st.name, st.phone, st.user_id FROM staff_leaves l JOIN staff st ON st.id = l.stand_in_id
    WHERE l.staff_id = s.id AND $2::date BETWEEN l.from_date AND l.to_date AND st.retired_at IS NULL
    ORDER BY l.id DESC LIMIT 1) b ON true
WHERE a.unit_code = ANY($1) AND a.status = 'active' AND a.from_date <= $2::date
  AND (a.to_date IS NULL OR a.to_date >= $2::date) AND s.retired_at IS NULL`

// RefreshCards rebuilds the public cards of units as of day. Lookups and
// map clients see the change through grid_staff's change events.
func (s *Store) RefreshCards(ctx context.Context, q Querier, units []string, day time.Time) error {
	if len(units) == 0 {
		return nil
	}
	if _, err := q.Exec(ctx, `DELETE FROM grid_staff WHERE unit_code = ANY($1) AND assignment_id IS NOT NULL`, units); err != nil {
		return fmt.Errorf("store: refresh cards: %w", err)
	}
	if _, err := q.Exec(ctx, refreshCardsSQL, units, day); err != nil {
		return fmt.Errorf("store: refresh cards: %w", err)
	}
	return nil
}

// CardsDueOn lists the units whose cards change on day: an assignment or a
// leave starts that day or ended the day before. A daily sweep refreshes
// them; running it twice for one day changes nothing more.
func (s *Store) CardsDueOn(ctx context.Context, day time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
SELECT unit_code FROM staff_assignments WHERE from_date = $1::date OR to_date = $1::date - 1
UNION
SELECT a.unit_code FROM staff_leaves l JOIN staff_assignments a ON a.staff_id IN (l.staff_id)
WHERE l.from_date = $1::date OR l.to_date = $1::date - 1`, day)
	if err != nil {
		return nil, fmt.Errorf("store: cards due: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
