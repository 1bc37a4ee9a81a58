package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/assessment"
	"wangge/internal/auth"
	unitcode "wangge/internal/unit"
	"wangge/internal/workcal"
)

// The grid workers of a unit in a month: those on a grid's card with an
// account, and those whose active grid_worker assignment overlaps the month.
// A worker on several grids is scored once, on the first grid.
const assessWorkersSQL = `
SELECT DISTINCT ON (u.id) u.id, coalesce(nullif(u.display_name, ''), u.username), g.unit_code
FROM (
    SELECT user_id, unit_code FROM grid_staff
    WHERE role = 'grid_worker' AND user_id IS NOT NULL AND unit_code LIKE $1 || '%' AND length(unit_code) = 15
    UNION
    SELECT st.user_id, a.unit_code FROM staff_assignments a JOIN staff st ON st.id = a.staff_id
    WHERE a.role = 'grid_worker' AND a.status = 'active' AND st.user_id IS NOT NULL
      AND a.unit_code LIKE $1 || '%' AND length(a.unit_code) = 15
      AND a.from_date < $3::date AND (a.to_date IS NULL OR a.to_date >= $2::date)
) g JOIN users u ON u.id = g.user_id
ORDER BY u.id, g.unit_code`

const assessPatrolSQL = `
SELECT user_id, sum(patrol_seconds) FROM patrol_days
WHERE user_id = ANY($1) AND day >= $2::date AND day < $3::date GROUP BY user_id`

// Reports of the workers in the month. Accepted into the workflow (any
// state past reported but invalid) is valid; judged invalid (作废) counts
// against the reporter, naming who judged it.
const assessIncidentsSQL = `
SELECT i.reported_by, i.id, to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), i.status,
       CASE WHEN i.status = 'invalid' THEN coalesce((SELECT coalesce(nullif(e.actor_name, ''), u.username, '')
                 FROM incident_events e LEFT JOIN users u ON u.id = e.actor
                 WHERE e.incident_id = i.id AND e.to_status = 'invalid' ORDER BY e.at DESC, e.id DESC LIMIT 1), '') ELSE '' END
FROM incidents i
WHERE i.reported_by = ANY($1) AND i.reported_at >= $2 AND i.reported_at < $3 AND i.status <> 'reported'
ORDER BY i.id`

const assessSessionsSQL = `
SELECT s.id, s.unit_code, s.title, to_char(s.held_on, 'YYYY-MM-DD'),
       coalesce(array_agg(a.user_id) FILTER (WHERE a.status IN ('present', 'excused')), '{}')
FROM training_sessions s LEFT JOIN training_attendance a ON a.session_id = s.id
WHERE s.region_code = $1 AND s.held_on >= $2::date AND s.held_on < $3::date
GROUP BY s.id ORDER BY s.held_on, s.id`

const assessPhoneSQL = `
SELECT c.id, c.user_id, to_char(c.called_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), coalesce(u.username, '')
FROM phone_spot_checks c LEFT JOIN users u ON u.id = c.recorded_by
WHERE c.user_id = ANY($1) AND c.called_at >= $2 AND c.called_at < $3 AND NOT c.answered ORDER BY c.called_at, c.id`

const assessDispatchSQL = `
SELECT c.id, c.user_id, to_char(c.checked_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), c.level, coalesce(u.username, '')
FROM dispatch_checks c LEFT JOIN users u ON u.id = c.recorded_by
WHERE c.user_id = ANY($1) AND c.checked_at >= $2 AND c.checked_at < $3 ORDER BY c.checked_at, c.id`

// AssessmentInputs reads the month's facts for unit (a street/township
// code) from the records; month is its first day in China time, asOf the
// moment visits must have been recorded by.
func (s *Store) AssessmentInputs(ctx context.Context, unit string, month, asOf time.Time) (assessment.Inputs, error) {
	start := time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, workcal.CST)
	end := start.AddDate(0, 1, 0)
	in := assessment.Inputs{Month: start.Format("2006-01"), PatrolSeconds: map[int64]float64{}}
	d0, d1 := start.Format(time.DateOnly), end.Format(time.DateOnly)
	fail := func(what string, err error) (assessment.Inputs, error) {
		return in, fmt.Errorf("store: assessment %s of %s: %w", what, unit, err)
	}
	q := s.pool
	rows, err := q.Query(ctx, assessWorkersSQL, unit[:unitcode.PrefixLen(unit)], d0, d1)
	if err != nil {
		return fail("workers", err)
	}
	in.Workers, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.Worker, error) {
		var w assessment.Worker
		return w, r.Scan(&w.ID, &w.Name, &w.Grid)
	})
	if err != nil {
		return fail("workers", err)
	}
	ids := make([]int64, len(in.Workers))
	for i, w := range in.Workers {
		ids[i] = w.ID
	}

	cal, err := s.WorkCalendar(ctx, q, unit)
	if err != nil {
		return fail("calendar", err)
	}
	in.WorkDays = cal.WorkDays(start, end)

	rows, err = q.Query(ctx, assessPatrolSQL, ids, d0, d1)
	if err != nil {
		return fail("patrol", err)
	}
	var id int64
	var secs float64
	if _, err := pgx.ForEachRow(rows, []any{&id, &secs}, func() error { in.PatrolSeconds[id] = secs; return nil }); err != nil {
		return fail("patrol", err)
	}

	rows, err = q.Query(ctx, assessIncidentsSQL, ids, start, end)
	if err != nil {
		return fail("incidents", err)
	}
	in.Incidents, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.Incident, error) {
		var x assessment.Incident
		var state string
		err := r.Scan(&x.Worker, &x.Seq, &x.Day, &state, &x.JudgedBy)
		x.Invalid = state == "invalid"
		x.Valid = !x.Invalid
		return x, err
	})
	if err != nil {
		return fail("incidents", err)
	}

	if in.MissedVisits, err = s.missedVisits(ctx, in.Workers, start, asOf); err != nil {
		return fail("visits", err)
	}

	rows, err = q.Query(ctx, assessSessionsSQL, unit[:6], d0, d1)
	if err != nil {
		return fail("training", err)
	}
	type session struct {
		id          int64
		unit, title string
		day         string
		cleared     []int64
	}
	sessions, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (session, error) {
		var x session
		return x, r.Scan(&x.id, &x.unit, &x.title, &x.day, &x.cleared)
	})
	if err != nil {
		return fail("training", err)
	}
	for _, ss := range sessions {
		for _, w := range in.Workers {
			if auth.Within(w.Grid, ss.unit) && !slices.Contains(ss.cleared, w.ID) {
				in.Absences = append(in.Absences, assessment.Absence{Worker: w.ID, Session: ss.id, Title: ss.title, Day: ss.day})
			}
		}
	}

	rows, err = q.Query(ctx, assessPhoneSQL, ids, start, end)
	if err != nil {
		return fail("phone checks", err)
	}
	in.PhoneMisses, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.Check, error) {
		var c assessment.Check
		return c, r.Scan(&c.ID, &c.Worker, &c.At, &c.By)
	})
	if err != nil {
		return fail("phone checks", err)
	}
	rows, err = q.Query(ctx, assessDispatchSQL, ids, start, end)
	if err != nil {
		return fail("dispatch checks", err)
	}
	in.DispatchMisses, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.Check, error) {
		var c assessment.Check
		return c, r.Scan(&c.ID, &c.Worker, &c.At, &c.Level, &c.By)
	})
	if err != nil {
		return fail("dispatch checks", err)
	}
	return in, nil
}

// The visits due list's rule (visits.go dueSQL): the strictest rule per
// household among '*' and its members' categories, each category's rule from
// the most specific unit. Only periods that end with the month are read, and
// a household is missed when no visit in its period was recorded by asOf.
const missedVisitsSQL = `
WITH r AS MATERIALIZED (  -- once, not per household (inlined into the lateral it was 2/3 of the time)
    SELECT DISTINCT ON (category) category, months FROM visit_rules
    WHERE unit_code = ANY($2) ORDER BY category, array_position($2, unit_code)
), hh AS (
    SELECT h.id, coalesce(nullif(a.full_text, ''), b.name) AS addr, b.grid_code
    FROM households h JOIN buildings b ON b.id = h.building_id LEFT JOIN addresses a ON a.id = h.address_id
    WHERE b.grid_code = ANY($1)
), ruled AS (
    SELECT hh.id, hh.addr, hh.grid_code, rr.category, rr.months,
           make_date(extract(year FROM $3::date)::int, ((extract(month FROM $3::date)::int - 1) / rr.months) * rr.months + 1, 1) AS pstart
    FROM hh CROSS JOIN LATERAL (
        SELECT r.category, r.months FROM r
        WHERE r.category = '*' OR r.category IN (SELECT unnest(p.categories) FROM persons p WHERE p.household_id = hh.id)
        ORDER BY r.months, r.category LIMIT 1) rr
)
SELECT ruled.id, ruled.addr, ruled.grid_code, ruled.category, ruled.months, to_char(ruled.pstart, 'YYYY-MM-DD')
FROM ruled
WHERE extract(month FROM $3::date)::int % ruled.months = 0
  AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = ruled.id AND v.recorded_at <= $4
                  AND v.visited_at >= (ruled.pstart::timestamp AT TIME ZONE 'Asia/Shanghai')
                  AND v.visited_at < (($3::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'))
ORDER BY ruled.grid_code, ruled.id`

// missedVisits reads the missed households of the workers' grids. Grids
// whose rules come from the same units are read together (usually all of
// them: rules are set high up), so a city is a few queries, not one a grid.
func (s *Store) missedVisits(ctx context.Context, workers []assessment.Worker, month, asOf time.Time) ([]assessment.MissedVisit, error) {
	grids := map[string]bool{}
	for _, w := range workers {
		grids[w.Grid] = true
	}
	if len(grids) == 0 {
		return nil, nil
	}
	list := make([]string, 0, len(grids))
	for g := range grids {
		list = append(list, g)
	}
	slices.Sort(list)
	batches, err := s.ruleBatches(ctx, list)
	if err != nil {
		return nil, err
	}
	var out []assessment.MissedVisit
	for _, b := range batches {
		rows, err := s.pool.Query(ctx, missedVisitsSQL, b, ruleUnits(b[0]), month.Format(time.DateOnly), asOf)
		if err != nil {
			return nil, err
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (assessment.MissedVisit, error) {
			var m assessment.MissedVisit
			var cat, from string
			var months int
			err := r.Scan(&m.Household, &m.Address, &m.Grid, &cat, &months, &from)
			m.Rule = fmt.Sprintf("%s every %d month(s) from %s", cat, months, from)
			return m, err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}
