package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
)

// The set-based writes of new reports: a batch of any size costs the same
// few statements (placement, insert, history, audit), so the statement
// triggers on incidents (unit statistics, change feed, notify) run once a
// batch rather than twice a report.

// ReportPlace is where a report's point lies (incident_place, the rule of
// the placement trigger) or, for an id already stored, only Exists.
type ReportPlace struct {
	Exists        bool
	GridCode      *string
	CommunityCode *string
}

// The points are a materialised CTE so that incident_place, inlined, sees
// each as a value: spelt as an expression it would be evaluated for every
// unit the lookup looks at, and the nearest-community search could not use
// its index.
const placeReportsSQL = `
WITH x AS MATERIALIZED (
    SELECT x.id, x.n, on_grid(ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4326)) AS pt
    FROM unnest($1::uuid[], $2::float8[], $3::float8[]) WITH ORDINALITY AS x(id, lon, lat, n))
SELECT e.id IS NOT NULL, pl.grid_code, pl.community_code
FROM x
LEFT JOIN incidents e ON e.client_id = x.id
LEFT JOIN LATERAL incident_place(x.pt) pl ON e.id IS NULL
ORDER BY x.n`

// PlaceReports places the points of reports ids (one statement for all) and
// says which ids are stored already (a retry: nothing is placed for them).
func (s *Store) PlaceReports(ctx context.Context, q Querier, ids []string, lons, lats []float64) ([]ReportPlace, error) {
	rows, err := q.Query(ctx, placeReportsSQL, ids, lons, lats)
	if err != nil {
		return nil, fmt.Errorf("store: place reports: %w", err)
	}
	out := make([]ReportPlace, 0, len(ids))
	var p ReportPlace
	if _, err := pgx.ForEachRow(rows, []any{&p.Exists, &p.GridCode, &p.CommunityCode}, func() error {
		out = append(out, p)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("store: place reports: %w", err)
	}
	return out, nil
}

// IncidentsByClientID returns the stored cases of ids, by id.
func (s *Store) IncidentsByClientID(ctx context.Context, q Querier, ids []string) (map[string]Incident, error) {
	rows, err := q.Query(ctx, `SELECT `+incidentCols+` FROM incidents i WHERE i.client_id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("store: incidents by id: %w", err)
	}
	defer rows.Close()
	out := map[string]Incident{}
	for rows.Next() {
		x, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("store: incidents by id: %w", err)
		}
		out[x.ID] = x
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: incidents by id: %w", err)
	}
	return out, nil
}

// NewIncident is a report to store, placed (PlaceReports) and with its
// deadline and level already known, so it is written once.
type NewIncident struct {
	ClientID      string
	RequestHash   []byte
	Region        string  // the reporter's region, kept only when no community was found
	GridCode      *string // from PlaceReports
	CommunityCode *string
	Type          string
	Category      string
	Title         string
	Description   string
	Address       string
	Lon, Lat      float64
	ReportedBy    *int64
	ReportedAt    time.Time
	Level         int
	DueAt         time.Time
	Source        string
	Open311Key    *int64
	MediaURL      string
	At            time.Time // updated_at (the service's clock)
}

const insertIncidentsSQL = `
INSERT INTO incidents AS i (client_id, request_hash, region_code, grid_code, community_code, type, category, title,
                            description, address, pt, reported_by, reported_at, level, due_at, source, open311_key,
                            media_url, updated_at, status)
SELECT x.id, x.hash, x.region, x.grid, x.community, x.type, x.category, x.title, x.description, x.address,
       ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4326), x.by, x.at, x.level, x.due, x.source, x.key, x.media, x.upd, 'reported'
FROM unnest($1::uuid[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[], $10::text[], $11::float8[], $12::float8[], $13::bigint[], $14::timestamptz[], $15::smallint[],
            $16::timestamptz[], $17::text[], $18::bigint[], $19::text[], $20::timestamptz[])
     AS x(id, hash, region, grid, community, type, category, title, description, address, lon, lat, by, at, level,
          due, source, key, media, upd)
ORDER BY x.id
ON CONFLICT (client_id) DO NOTHING
RETURNING ` + incidentCols

// InsertIncidents stores ns in one statement, in order of client id (two
// batches sharing ids lock them in one order and cannot deadlock), and
// returns the cases it stored by client id. An id stored already, or by a
// concurrent transaction that committed meanwhile, is left out: the caller
// compares it by request hash. The case's photos are not in the answer
// (they are attached after it).
func (s *Store) InsertIncidents(ctx context.Context, q Querier, ns []NewIncident) (map[string]Incident, error) {
	n := len(ns)
	var (
		ids, regions, types, cats, titles, descs, addrs, sources, medias = make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		grids, comms = make([]*string, n), make([]*string, n)
		hashes       = make([][]byte, n)
		lons, lats   = make([]float64, n), make([]float64, n)
		bys, keys    = make([]*int64, n), make([]*int64, n)
		ats, dues    = make([]time.Time, n), make([]time.Time, n)
		upds         = make([]time.Time, n)
		levels       = make([]int16, n)
	)
	for i, x := range ns {
		ids[i], hashes[i], regions[i], grids[i], comms[i] = x.ClientID, x.RequestHash, x.Region, x.GridCode, x.CommunityCode
		types[i], cats[i], titles[i], descs[i], addrs[i] = x.Type, x.Category, x.Title, x.Description, x.Address
		lons[i], lats[i], bys[i], ats[i], levels[i], dues[i] = x.Lon, x.Lat, x.ReportedBy, x.ReportedAt, int16(x.Level), x.DueAt
		sources[i], keys[i], medias[i], upds[i] = x.Source, x.Open311Key, x.MediaURL, x.At
	}
	rows, err := q.Query(ctx, insertIncidentsSQL, ids, hashes, regions, grids, comms, types, cats, titles, descs, addrs,
		lons, lats, bys, ats, levels, dues, sources, keys, medias, upds)
	if err != nil {
		return nil, fmt.Errorf("store: insert incidents: %w", err)
	}
	defer rows.Close()
	out := make(map[string]Incident, n)
	for rows.Next() {
		x, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("store: insert incidents: %w", err)
		}
		out[x.ID] = x
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: insert incidents: %w", err)
	}
	return out, nil
}

// CaseEvent is an IncidentEvent of case Seq, for AddIncidentEvents.
type CaseEvent struct {
	Seq int64
	IncidentEvent
}

// CasePhoto links photo Media to case Seq.
type CasePhoto struct {
	Seq   int64
	Media string
}

const insertEventsSQL = `
WITH e AS (
    INSERT INTO incident_events (incident_id, action, from_status, to_status, from_level, to_level, actor, actor_name, note, at, details)
    SELECT x.seq, x.action, x.fs, x.ts, x.fl, x.tl, x.actor, x.an, x.note, x.at, coalesce(x.d::jsonb, '{}')
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::smallint[], $7::bigint[],
                $8::text[], $9::text[], $10::timestamptz[], $11::text[]) WITH ORDINALITY
         AS x(seq, action, fs, ts, fl, tl, actor, an, note, at, d, n)
    ORDER BY x.n
    RETURNING id, incident_id)
INSERT INTO incident_media (incident_id, media_id, event_id)
SELECT m.seq, m.media, f.id
FROM unnest($12::bigint[], $13::uuid[]) AS m(seq, media)
JOIN (SELECT DISTINCT ON (incident_id) incident_id, id FROM e ORDER BY incident_id, id) f ON f.incident_id = m.seq
ON CONFLICT DO NOTHING`

// AddIncidentEvents appends evs to their cases' histories, in order, and
// links photos to the first of each case's new entries, in one statement.
// The photos must be the uploader's (MissingMedia checks that first).
func (s *Store) AddIncidentEvents(ctx context.Context, q Querier, evs []CaseEvent, photos []CasePhoto) error {
	n := len(evs)
	seqs, actors := make([]int64, n), make([]*int64, n)
	actions, tos, names, notes, ats := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	froms, details := make([]*string, n), make([]*string, n)
	fls, tls := make([]*int16, n), make([]*int16, n)
	level := func(l *int) *int16 {
		if l == nil {
			return nil
		}
		v := int16(*l)
		return &v
	}
	for i, e := range evs {
		seqs[i], actions[i], froms[i], tos[i], fls[i], tls[i] = e.Seq, e.Action, e.FromState, e.ToState, level(e.FromLevel), level(e.ToLevel)
		actors[i], names[i], notes[i], ats[i] = e.Actor, e.ActorName, e.Note, e.At
		if e.Details != nil {
			d, err := json.Marshal(e.Details)
			if err != nil {
				return fmt.Errorf("store: incident events: %w", err)
			}
			s := string(d)
			details[i] = &s
		}
	}
	pseqs, media := make([]int64, len(photos)), make([]string, len(photos))
	for i, p := range photos {
		pseqs[i], media[i] = p.Seq, p.Media
	}
	if _, err := q.Exec(ctx, insertEventsSQL, seqs, actions, froms, tos, fls, tls, actors, names, notes, ats, details,
		pseqs, media); err != nil {
		return fmt.Errorf("store: incident events: %w", err)
	}
	return nil
}

// NotUploadedBy returns those of ids that are not photos uploaded by uploader.
func (s *Store) NotUploadedBy(ctx context.Context, q Querier, ids []string, uploader *int64) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var missing []string
	err := q.QueryRow(ctx, `SELECT coalesce(array_agg(x::text), '{}') FROM unnest($1::uuid[]) x
        WHERE NOT EXISTS (SELECT 1 FROM media m WHERE m.id = x AND m.uploaded_by IS NOT DISTINCT FROM $2)`,
		ids, uploader).Scan(&missing)
	if err != nil {
		return nil, fmt.Errorf("store: attach media: %w", err)
	}
	for _, id := range missing {
		out[id] = true
	}
	return out, nil
}

// MissingPhotos is the error for a report or move naming photos that are
// not the uploader's (missing from NotUploadedBy), nil when there are none.
func MissingPhotos(ids []string, missing map[string]bool) error {
	var bad []string
	for _, id := range ids {
		if missing[id] {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return apperr.New(apperr.ErrInvalid, "photos %v: not uploaded by this user (upload them to /api/media first)", bad)
	}
	return nil
}
