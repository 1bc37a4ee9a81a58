package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// Incident is a case (事件) as the API shows it; ID is the client's UUID.
type Incident struct {
	ID            string     `json:"id"`
	Seq           int64      `json:"seq"`
	RegionCode    string     `json:"region_code"`
	GridCode      *string    `json:"grid_code"`
	CommunityCode *string    `json:"community_code"`
	Outside       bool       `json:"outside"`
	Type          string     `json:"type"`
	Category      string     `json:"category"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	Address       string     `json:"address"`
	State         string     `json:"state"`
	Level         int        `json:"level"`
	Valid         *bool      `json:"valid"`
	Lon           float64    `json:"lon"`
	Lat           float64    `json:"lat"`
	ReportedBy    *int64     `json:"reported_by"`
	ReportedAt    time.Time  `json:"reported_at"`
	ReceivedAt    time.Time  `json:"received_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	DueAt         *time.Time `json:"due_at"`
	PausedAt      *time.Time `json:"paused_at"`
	ParkedFrom    *string    `json:"parked_from"`
	Overdue       bool       `json:"overdue"`
	Escalations   int        `json:"escalations"`
	DispatchedTo  string     `json:"dispatched_to"`
	CaseLeader    string     `json:"case_leader"`
	Assisting     []string   `json:"assisting"`
	Source        string     `json:"source"`
	Version       int        `json:"version"`
	Photos        []string   `json:"photos"`
	MediaURL      string     `json:"media_url,omitempty"`
	RequestHash   []byte     `json:"-"`
}

const incidentCols = `
    coalesce(i.client_id::text, ''), i.id, i.region_code, i.grid_code, i.community_code, i.outside, i.type, i.category,
    i.title, i.description, i.address, i.status, i.level, i.valid, ST_X(i.pt), ST_Y(i.pt), i.reported_by,
    i.reported_at, i.received_at, i.updated_at, i.closed_at, i.due_at, i.paused_at, i.parked_from, i.overdue,
    i.escalations, i.dispatched_to, i.case_leader, i.assisting, i.source, i.version,
    ARRAY(SELECT m.media_id::text FROM incident_media m WHERE m.incident_id = i.id ORDER BY m.media_id),
    i.media_url, coalesce(i.request_hash, '')`

func scanIncident(row pgx.Row) (Incident, error) {
	var x Incident
	err := row.Scan(&x.ID, &x.Seq, &x.RegionCode, &x.GridCode, &x.CommunityCode, &x.Outside, &x.Type, &x.Category,
		&x.Title, &x.Description, &x.Address, &x.State, &x.Level, &x.Valid, &x.Lon, &x.Lat, &x.ReportedBy,
		&x.ReportedAt, &x.ReceivedAt, &x.UpdatedAt, &x.ClosedAt, &x.DueAt, &x.PausedAt, &x.ParkedFrom, &x.Overdue,
		&x.Escalations, &x.DispatchedTo, &x.CaseLeader, &x.Assisting, &x.Source, &x.Version, &x.Photos, &x.MediaURL, &x.RequestHash)
	return x, err
}

// Incident returns the case with client id (a UUID); lock takes a row lock
// for the rest of q's transaction. ErrNotFound when there is none.
func (s *Store) Incident(ctx context.Context, q Querier, id string, lock bool) (Incident, error) {
	if q == nil {
		q = s.pool
	}
	sql := `SELECT ` + incidentCols + ` FROM incidents i WHERE i.client_id = $1::uuid`
	if lock {
		sql += ` FOR UPDATE OF i`
	}
	x, err := scanIncident(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return x, apperr.New(apperr.ErrNotFound, "no incident %s", id)
	}
	if err != nil {
		return x, fmt.Errorf("store: incident %s: %w", id, err)
	}
	return x, nil
}

// IncidentBySeq is Incident by the internal sequence number (Open311 ids).
func (s *Store) IncidentBySeq(ctx context.Context, q Querier, seq int64) (Incident, error) {
	if q == nil {
		q = s.pool
	}
	x, err := scanIncident(q.QueryRow(ctx, `SELECT `+incidentCols+` FROM incidents i WHERE i.id = $1`, seq))
	if errors.Is(err, pgx.ErrNoRows) {
		return x, apperr.New(apperr.ErrNotFound, "no incident %d", seq)
	}
	if err != nil {
		return x, fmt.Errorf("store: incident %d: %w", seq, err)
	}
	return x, nil
}

// IncidentUpdate is the workflow part of a case after a transition.
type IncidentUpdate struct {
	Seq          int64
	Version      int // the version read; the update fails with no row if it moved
	State        string
	Level        int
	Valid        *bool
	DueAt        *time.Time
	PausedAt     *time.Time
	ParkedFrom   *string
	Overdue      bool
	Escalations  int
	DispatchedTo string
	CaseLeader   string
	Assisting    []string
	ClosedAt     *time.Time
	At           time.Time
}

const updateIncidentSQL = `
UPDATE incidents SET status = $3, level = $4, valid = $5, due_at = $6, paused_at = $7, parked_from = $8,
    overdue = $9, escalations = $10, dispatched_to = $11, case_leader = $12, assisting = $13, closed_at = $14,
    updated_at = $15, version = version + 1
WHERE id = $1 AND version = $2`

// UpdateIncident writes u if the case is still at u.Version; false when it
// moved in between (a stale transition).
func (s *Store) UpdateIncident(ctx context.Context, q Querier, u IncidentUpdate) (bool, error) {
	if u.Assisting == nil {
		u.Assisting = []string{}
	}
	tag, err := q.Exec(ctx, updateIncidentSQL, u.Seq, u.Version, u.State, u.Level, u.Valid, u.DueAt, u.PausedAt,
		u.ParkedFrom, u.Overdue, u.Escalations, u.DispatchedTo, u.CaseLeader, u.Assisting, u.ClosedAt, u.At)
	if err != nil {
		return false, fmt.Errorf("store: update incident %d: %w", u.Seq, err)
	}
	return tag.RowsAffected() == 1, nil
}

// IncidentEvent is one step of a case's history.
type IncidentEvent struct {
	ID        int64          `json:"id"`
	Action    string         `json:"action"`
	FromState *string        `json:"from_state"`
	ToState   string         `json:"to_state"`
	FromLevel *int           `json:"from_level"`
	ToLevel   *int           `json:"to_level"`
	Actor     *int64         `json:"actor"`
	ActorName string         `json:"actor_name"`
	Note      string         `json:"note"`
	At        time.Time      `json:"at"`
	Details   map[string]any `json:"details"`
	Photos    []string       `json:"photos"`
}

const insertEventSQL = `
INSERT INTO incident_events (incident_id, action, from_status, to_status, from_level, to_level, actor, actor_name, note, at, details)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::jsonb, '{}')) RETURNING id`

// AddIncidentEvent appends e to the case's history and returns its id.
func (s *Store) AddIncidentEvent(ctx context.Context, q Querier, seq int64, e IncidentEvent) (int64, error) {
	var details any
	if e.Details != nil {
		details = e.Details
	}
	var id int64
	err := q.QueryRow(ctx, insertEventSQL, seq, e.Action, e.FromState, e.ToState, e.FromLevel, e.ToLevel, e.Actor,
		e.ActorName, e.Note, e.At, details).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: incident event: %w", err)
	}
	return id, nil
}

const attachMediaSQL = `
INSERT INTO incident_media (incident_id, media_id, event_id)
SELECT $1, m.id, $3 FROM media m WHERE m.id = ANY($2::uuid[]) AND m.uploaded_by IS NOT DISTINCT FROM $4
ON CONFLICT DO NOTHING`

// AttachMedia links photos (uploaded by uploader) to a case and an event; it
// returns an ErrInvalid naming the ids that are not the uploader's photos.
func (s *Store) AttachMedia(ctx context.Context, q Querier, seq int64, ids []string, eventID *int64, uploader *int64) error {
	if len(ids) == 0 {
		return nil
	}
	missing, err := s.NotUploadedBy(ctx, q, ids, uploader)
	if err != nil {
		return err
	}
	if err := MissingPhotos(ids, missing); err != nil {
		return err
	}
	if _, err := q.Exec(ctx, attachMediaSQL, seq, ids, eventID, uploader); err != nil {
		return fmt.Errorf("store: attach media: %w", err)
	}
	return nil
}

const eventsSQL = `
SELECT e.id, e.action, e.from_status, e.to_status, e.from_level::int, e.to_level::int, e.actor, e.actor_name, e.note,
       e.at, e.details, ARRAY(SELECT m.media_id::text FROM incident_media m WHERE m.event_id = e.id ORDER BY m.media_id)
FROM incident_events e WHERE e.incident_id = $1 ORDER BY e.at, e.id`

// IncidentEvents returns a case's whole history, oldest first.
func (s *Store) IncidentEvents(ctx context.Context, q Querier, seq int64) ([]IncidentEvent, error) {
	if q == nil {
		q = s.pool
	}
	rows, err := q.Query(ctx, eventsSQL, seq)
	if err != nil {
		return nil, fmt.Errorf("store: incident events: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IncidentEvent])
	if err != nil {
		return nil, fmt.Errorf("store: incident events: %w", err)
	}
	return out, nil
}

// IncidentFilter selects cases (State "open": any but closed and invalid); Scope is a unit code prefix (see unit.PrefixLen)
// the case's community must start with, or the reporter is ReporterOr.
type IncidentFilter struct {
	ScopePrefix string
	ReporterOr  int64
	Grid        string
	State       string
	Category    string
	Type        string
	Overdue     *bool
	Level       int
	From, To    *time.Time
	BBox        *[4]float64
	Before      *time.Time // keyset cursor: reported_at, then seq
	BeforeSeq   int64
	Limit       int
}

const listIncidentsSQL = `
SELECT ` + incidentCols + ` FROM incidents i
WHERE ($1 = '' OR coalesce(i.grid_code, i.community_code) LIKE $1 || '%' OR i.reported_by = $2)
  AND ($3 = '' OR i.grid_code = $3)
  AND ($4 = '' OR i.status = $4 OR ($4 = 'open' AND i.status NOT IN ('closed', 'invalid')))
  AND ($5 = '' OR i.category = $5 OR i.category LIKE $5 || '.%')
  AND ($6 = '' OR i.type = $6)
  AND ($7::boolean IS NULL OR i.overdue = $7)
  AND ($8 = 0 OR i.level = $8)
  AND ($9::timestamptz IS NULL OR i.reported_at >= $9)
  AND ($10::timestamptz IS NULL OR i.reported_at < $10)
  AND ($11::float8[] IS NULL OR i.pt && ST_MakeEnvelope($11[1], $11[2], $11[3], $11[4], 4326))
  AND ($12::timestamptz IS NULL OR (i.reported_at, i.id) < ($12, $13))
ORDER BY i.reported_at DESC, i.id DESC
LIMIT $14`

// ListIncidents returns one page of cases, newest first.
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	var bbox []float64
	if f.BBox != nil {
		bbox = f.BBox[:]
	}
	rows, err := s.pool.Query(ctx, listIncidentsSQL, f.ScopePrefix, f.ReporterOr, f.Grid, f.State, f.Category, f.Type,
		f.Overdue, f.Level, f.From, f.To, bbox, f.Before, f.BeforeSeq, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	out, err := pgx.CollectRows(rows, collectIncident)
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	return out, nil
}

// collectIncident is scanIncident for pgx.CollectRows.
func collectIncident(r pgx.CollectableRow) (Incident, error) { return scanIncident(r) }

// DueIncident is a case whose deadline passed, as the sweep sees it.
type DueIncident struct {
	Seq         int64
	ClientID    string
	Region      string
	Unit        string // its grid, else its community, else its district: whose calendar counts
	Category    string
	Level       int
	State       string
	Version     int
	DueAt       time.Time
	Escalations int
}

const dueIncidentsSQL = `
SELECT i.id, coalesce(i.client_id::text, ''), i.region_code, coalesce(i.grid_code, i.community_code, i.region_code || '000000'),
       i.category, i.level, i.status, i.version, i.due_at, i.escalations
FROM incidents i
WHERE i.due_at <= $1 AND i.status IN ('reported', 'accepted', 'dispatched', 'handled', 'verified') AND i.paused_at IS NULL
  AND (i.level > 1 OR NOT i.overdue)
ORDER BY i.due_at, i.id
LIMIT $2
FOR UPDATE OF i SKIP LOCKED`

// DueIncidents locks up to limit open cases due at or before asOf that the
// sweep still has to act on (not yet marked at the district level); other
// sweepers skip the locked rows.
func (s *Store) DueIncidents(ctx context.Context, q Querier, asOf time.Time, limit int) ([]DueIncident, error) {
	rows, err := q.Query(ctx, dueIncidentsSQL, asOf, limit)
	if err != nil {
		return nil, fmt.Errorf("store: due incidents: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DueIncident])
	if err != nil {
		return nil, fmt.Errorf("store: due incidents: %w", err)
	}
	return out, nil
}
