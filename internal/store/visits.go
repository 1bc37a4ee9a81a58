package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"wangge/internal/apperr"
)

// FarVisitMetres: a visit logged farther than this from the household's
// building is flagged.
const FarVisitMetres = 2000

// Visit is one 走访 record from the field.
type Visit struct {
	ID          string `json:"id"`
	HouseholdID int64  `json:"household_id,omitempty"` // or OrganisationID
	PersonID    *int64 `json:"person_id,omitempty"`
	// OrganisationID: a visit to an organisation (a place, migration 000150).
	OrganisationID *int64    `json:"organisation_id,omitempty"`
	GridCode       string    `json:"grid_code"`
	VisitedAt      time.Time `json:"visited_at"`
	Lon            float64   `json:"lon"`
	Lat            float64   `json:"lat"`
	DistanceM      float64   `json:"distance_m"`
	Far            bool      `json:"far"`
	Answers        []byte    `json:"-"`
	Note           string    `json:"note"`
	FollowUp       bool      `json:"follow_up"`
	IncidentID     *string   `json:"incident_id,omitempty"` // the case its follow-up opened
}

// A visit's grid, region and distance come from its household's building,
// or from the organisation's place (its outline, else its point).
const (
	insertHouseholdVisitSQL = `
INSERT INTO visits (id, region_code, request_hash, user_id, household_id, person_id, grid_code, visited_at, geom, distance_m, far, answers, note, follow_up)
SELECT $1, h.region_code, $2, nullif($3, 0), h.id, $5, b.grid_code, $6,
       ST_SetSRID(ST_MakePoint(round($7::numeric, 7), round($8::numeric, 7)), 4326),
       d.m, d.m > $12, $9, $10, $11
FROM households h JOIN buildings b ON b.id = h.building_id,
     LATERAL (SELECT ST_Distance(b.pt::geography, ST_SetSRID(ST_MakePoint($7, $8), 4326)::geography) AS m) d
WHERE h.id = $4 AND b.grid_code IS NOT NULL`
	insertPlaceVisitSQL = `
INSERT INTO visits (id, region_code, request_hash, user_id, place_id, person_id, grid_code, visited_at, geom, distance_m, far, answers, note, follow_up)
SELECT $1, p.region_code, $2, nullif($3, 0), p.id, $5, p.grid_code, $6,
       ST_SetSRID(ST_MakePoint(round($7::numeric, 7), round($8::numeric, 7)), 4326),
       d.m, d.m > $12, $9, $10, $11
FROM places p,
     LATERAL (SELECT ST_Distance(coalesce(p.polygon::geometry, p.pt)::geography, ST_SetSRID(ST_MakePoint($7, $8), 4326)::geography) AS m) d
WHERE p.id = $4`
)

// RecordVisit stores v once under its client UUID: the same id with the same
// request (hash) returns the stored visit and created=false; with another
// request it is a conflict. followUp, when set, runs in the same
// transaction for a new visit and returns the id of the incident it opened.
func (s *Store) RecordVisit(ctx context.Context, v Visit, hash []byte, userID int64, followUp func(pgx.Tx) (string, error)) (Visit, bool, error) {
	created := false
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var old []byte
		err := tx.QueryRow(ctx, `SELECT request_hash FROM visits WHERE id = $1`, v.ID).Scan(&old)
		if err == nil {
			if !bytes.Equal(old, hash) {
				return apperr.New(apperr.ErrConflict, "visit %s was recorded with a different body", v.ID)
			}
			return tx.QueryRow(ctx, `SELECT coalesce(household_id, 0), person_id, place_id, grid_code, visited_at, ST_X(geom), ST_Y(geom), distance_m, far, note, follow_up, incident_id FROM visits WHERE id = $1`, v.ID).
				Scan(&v.HouseholdID, &v.PersonID, &v.OrganisationID, &v.GridCode, &v.VisitedAt, &v.Lon, &v.Lat, &v.DistanceM, &v.Far, &v.Note, &v.FollowUp, &v.IncidentID)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		sql, target := insertHouseholdVisitSQL, v.HouseholdID
		if v.OrganisationID != nil {
			sql, target = insertPlaceVisitSQL, *v.OrganisationID
		}
		tag, err := tx.Exec(ctx, sql,
			v.ID, hash, userID, target, v.PersonID, v.VisitedAt, v.Lon, v.Lat, v.Answers, v.Note, v.FollowUp, float64(FarVisitMetres))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return &pgconn.PgError{Code: "40001", Message: "visit id raced"}
		}
		if err != nil {
			return fmt.Errorf("store: insert visit: %w", err)
		}
		if tag.RowsAffected() == 0 && v.OrganisationID != nil {
			return apperr.New(apperr.ErrNotFound, "no organisation %d", *v.OrganisationID)
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.ErrNotFound, "no placed household %d", v.HouseholdID)
		}
		created = true
		if followUp != nil {
			id, err := followUp(tx)
			if err != nil {
				return err
			}
			v.IncidentID = &id
			if _, err := tx.Exec(ctx, `UPDATE visits SET incident_id = $2 WHERE id = $1`, v.ID, id); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `SELECT grid_code, distance_m, far FROM visits WHERE id = $1`, v.ID).Scan(&v.GridCode, &v.DistanceM, &v.Far)
	})
	return v, created, err
}

// Due is one household still to be visited, with the rule that makes it due.
type Due struct {
	HouseholdID int64      `json:"household_id"`
	GridCode    string     `json:"grid_code"`
	PersonIDs   []int64    `json:"person_ids"` // the members whose category makes the household due
	Address     string     `json:"address"`
	Category    string     `json:"rule_category"` // '*' (every household) or the member category
	Months      int        `json:"rule_months"`
	PeriodStart string     `json:"period_start"`
	LastVisit   *time.Time `json:"last_visit"`
	Lon         float64    `json:"lon"` // the building's point, to walk to
	Lat         float64    `json:"lat"`
}

// ruleUnits: the units whose rules apply to grid, most specific first
// (grid, community, street, district, then the schemes' defaults ”).
func ruleUnits(grid string) []string {
	return []string{grid, grid[:12], grid[:9] + "000", grid[:6] + "000000", ""}
}

// ruleBatches groups grids (sorted) whose visit rules come from the same
// units, in order: one due query per batch reads them all with one rule
// chain. Rules are set high up, so a city is a few batches, not one a grid.
func (s *Store) ruleBatches(ctx context.Context, grids []string) ([][]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT unit_code FROM visit_rules`)
	if err != nil {
		return nil, fmt.Errorf("store: visit rules: %w", err)
	}
	units, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("store: visit rules: %w", err)
	}
	index := map[string]int{}
	var out [][]string
	for _, g := range grids {
		var key []string
		for _, u := range ruleUnits(g) {
			if slices.Contains(units, u) {
				key = append(key, u)
			}
		}
		k := strings.Join(key, ",")
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], g)
	}
	return out, nil
}

// The strictest rule per household: among '*' and its current members'
// categories, each category's rule from the most specific unit. The period
// is the calendar month/quarter/half/year containing the month; visits count
// if made in the period up to the month's end and recorded by asOf, so the
// answer for a (month, asOf) never changes.
const dueSQL = `
WITH r AS MATERIALIZED (  -- once, not per household (inlined into the lateral it was 2/3 of the time)
    SELECT DISTINCT ON (category) category, months FROM visit_rules
    WHERE unit_code = ANY($2) ORDER BY category, array_position($2, unit_code)
), hh AS (
    SELECT h.id, coalesce(nullif(a.full_text, ''), b.name) AS addr, b.grid_code, ST_X(b.pt) AS lon, ST_Y(b.pt) AS lat
    FROM households h JOIN buildings b ON b.id = h.building_id LEFT JOIN addresses a ON a.id = h.address_id
    WHERE b.grid_code = ANY($1)
), ruled AS (
    SELECT hh.id, hh.addr, hh.grid_code, hh.lon, hh.lat, rr.category, rr.months,
           make_date(extract(year FROM $3::date)::int, ((extract(month FROM $3::date)::int - 1) / rr.months) * rr.months + 1, 1) AS pstart
    FROM hh CROSS JOIN LATERAL (
        SELECT r.category, r.months FROM r
        WHERE r.category = '*' OR r.category IN (SELECT unnest(p.categories) FROM persons p WHERE p.household_id = hh.id)
        ORDER BY r.months, r.category LIMIT 1) rr
)
SELECT ruled.id, ruled.addr, ruled.grid_code, ruled.lon, ruled.lat, ruled.category, ruled.months, to_char(ruled.pstart, 'YYYY-MM-DD'),
       coalesce((SELECT array_agg(p.id ORDER BY p.id) FROM persons p WHERE p.household_id = ruled.id AND ruled.category = ANY (p.categories)), '{}'),
       (SELECT max(v.visited_at) FROM visits v WHERE v.household_id = ruled.id AND v.recorded_at <= $4),
       EXISTS (SELECT 1 FROM visits v WHERE v.household_id = ruled.id AND v.recorded_at <= $4
               AND v.visited_at >= (ruled.pstart::timestamp AT TIME ZONE 'Asia/Shanghai')
               AND v.visited_at < (($3::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai')) AS done,
       EXISTS (SELECT 1 FROM visits v WHERE v.household_id = ruled.id AND v.recorded_at <= $4
               AND v.visited_at >= ((ruled.pstart - make_interval(months => ruled.months))::timestamp AT TIME ZONE 'Asia/Shanghai')
               AND v.visited_at < (ruled.pstart::timestamp AT TIME ZONE 'Asia/Shanghai')) AS prev_done
FROM ruled ORDER BY ruled.grid_code, ruled.id`

type dueRow struct {
	Due
	done, prevDone bool
}

func (s *Store) dueRows(ctx context.Context, grids []string, month time.Time, asOf time.Time) ([]dueRow, error) {
	if len(grids) == 0 {
		return nil, nil
	}
	var out []dueRow
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// The per-household subplans push the cost estimate far past
		// jit_above_cost at city scale; compiling took 1-2 s of a 0.3 s query.
		if err := s.DisableJIT(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, dueSQL, grids, ruleUnits(grids[0]), month.Format("2006-01-02"), asOf)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (d dueRow, err error) {
			return d, r.Scan(&d.HouseholdID, &d.Address, &d.GridCode, &d.Lon, &d.Lat, &d.Category, &d.Months, &d.PeriodStart, &d.PersonIDs, &d.LastVisit, &d.done, &d.prevDone)
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: due visits: %w", err)
	}
	return out, nil
}

// DueVisits lists the grids' households not yet visited in their rule's
// current period, as of asOf, for the month (its first day). Each grid
// takes the rules of its own units.
func (s *Store) DueVisits(ctx context.Context, grids []string, month, asOf time.Time) ([]Due, error) {
	rows, err := s.dueByBatch(ctx, grids, month, asOf)
	if err != nil {
		return nil, err
	}
	out := []Due{}
	for _, r := range rows {
		if !r.done {
			out = append(out, r.Due)
		}
	}
	return out, nil
}

// dueByBatch is dueRows for grids of any rules: one query per rule batch,
// the rows in grid order.
func (s *Store) dueByBatch(ctx context.Context, grids []string, month, asOf time.Time) ([]dueRow, error) {
	sorted := slices.Sorted(slices.Values(grids))
	batches, err := s.ruleBatches(ctx, slices.Compact(sorted))
	if err != nil {
		return nil, err
	}
	var out []dueRow
	for _, b := range batches {
		rows, err := s.dueRows(ctx, b, month, asOf)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	slices.SortStableFunc(out, func(a, b dueRow) int { return strings.Compare(a.GridCode, b.GridCode) })
	return out, nil
}

// VisitCount is one grid's row of the visits report.
type VisitCount struct {
	Grid    string `json:"grid_code"`
	Due     int    `json:"due"`     // still to visit this period
	Done    int    `json:"done"`    // visited this period
	Overdue int    `json:"overdue"` // missed the previous period
	// Coverage: households, and those visited at least once this year.
	Households  int     `json:"households"`
	VisitedYear int     `json:"visited_this_year"`
	CoveragePct float64 `json:"coverage_pct"`
	// Persons per category; the caller suppresses small sensitive counts.
	Categories map[string]int `json:"categories"`
}

// VisitReport counts due, done and overdue per grid below parent (a unit
// code, prefixLen its fixed digits). Rules are taken per grid.
func (s *Store) VisitReport(ctx context.Context, parent string, prefixLen int, month, asOf time.Time) ([]VisitCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT code FROM units WHERE level = 4 AND left(code, $2) = left($1, $2) ORDER BY code`, parent, prefixLen)
	if err != nil {
		return nil, fmt.Errorf("store: visit report: %w", err)
	}
	grids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	stats, err := s.gridStats(ctx, grids, month, asOf)
	if err != nil {
		return nil, err
	}
	all, err := s.dueByBatch(ctx, grids, month, asOf)
	if err != nil {
		return nil, err
	}
	byGrid := map[string][]dueRow{}
	for _, r := range all {
		byGrid[r.GridCode] = append(byGrid[r.GridCode], r)
	}
	out := []VisitCount{}
	for _, g := range grids {
		drs := byGrid[g]
		st := stats[g]
		c := VisitCount{Grid: g, Households: st.households, VisitedYear: st.visitedYear, Categories: st.categories}
		if st.households > 0 {
			c.CoveragePct = math.Round(1000*float64(st.visitedYear)/float64(st.households)) / 10
		}
		for _, r := range drs {
			if r.done {
				c.Done++
			} else {
				c.Due++
			}
			if !r.prevDone {
				c.Overdue++
			}
		}
		out = append(out, c)
	}
	return out, nil
}
