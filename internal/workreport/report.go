package workreport

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/apperr"
	"wangge/internal/store"
	"wangge/internal/unit"
)

// Row is one unit's figures for the period.
type Row struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Total bool   `json:"total,omitempty"` // the unit itself: every record under it, once

	CasesReported int     `json:"cases_reported"` // reported in the period
	CasesClosed   int     `json:"cases_closed"`   // of those, closed
	CasesOverdue  int     `json:"cases_overdue"`  // of those, past their deadline
	ClosureRate   float64 `json:"closure_rate"`   // closed / reported (0 when none)

	PatrolHours      float64 `json:"patrol_hours"`       // patrol_days of the unit's patrol workers
	PatrolWorkerDays int     `json:"patrol_worker_days"` // worker-days with a computed patrol day

	Visits            int `json:"visits"`             // visits logged in the period
	VisitedHouseholds int `json:"visited_households"` // distinct households visited
	// Households still due a visit under the visit rules at the period's
	// end (its last month, as GET /api/reports/visits counts them).
	VisitsDue int `json:"visits_due"`

	HazardsOpened    int `json:"hazards_opened"`
	HazardsClosed    int `json:"hazards_closed"`
	HazardsOpenAtEnd int `json:"hazards_open_at_end"`

	GridChanges  int `json:"grid_changes"`  // grid versions begun in the period (new, redrawn, renamed)
	StaffChanges int `json:"staff_changes"` // active assignments begun or ended in the period
}

// Report is a unit's report: its children, then the total.
type Report struct {
	Unit   string `json:"unit"`
	Name   string `json:"name"`
	Period string `json:"period"`
	From   string `json:"from"`
	To     string `json:"to"` // exclusive
	Rows   []Row  `json:"rows"`
}

// Each query gets $1 the code prefixes (children's, then the unit's) and
// $2, $3 the period; it answers one row per prefix with figures. Records
// are matched to a unit by code prefix (unit_scope), as auth scopes them.
const (
	casesSQL = `
SELECT p, count(i.id), count(i.id) FILTER (WHERE i.status = 'closed'), count(i.id) FILTER (WHERE i.overdue)
FROM unnest($1::text[]) p LEFT JOIN incidents i ON coalesce(i.grid_code, i.community_code) LIKE p || '%'
     AND i.reported_at >= $2 AND i.reported_at < $3
GROUP BY p`
	// A worker on two grids of one unit counts once there.
	patrolSQL = `
SELECT p, coalesce(sum(d.patrol_seconds), 0) / 3600, count(d.user_id)
FROM unnest($1::text[]) p LEFT JOIN patrol_days d ON d.day >= ($2 AT TIME ZONE 'Asia/Shanghai')::date
     AND d.day < ($3 AT TIME ZONE 'Asia/Shanghai')::date
     AND EXISTS (SELECT 1 FROM patrol_workers w WHERE w.user_id = d.user_id AND w.unit_code LIKE p || '%')
GROUP BY p`
	visitsSQL = `
SELECT p, count(v.id), count(DISTINCT v.household_id)
FROM unnest($1::text[]) p LEFT JOIN visits v ON v.grid_code LIKE p || '%' AND v.visited_at >= $2 AND v.visited_at < $3
GROUP BY p`
	hazardsSQL = `
SELECT p, count(h.id) FILTER (WHERE h.found_at >= $2),
       count(h.id) FILTER (WHERE h.closed_at >= $2 AND h.closed_at < $3),
       count(h.id) FILTER (WHERE h.closed_at IS NULL OR h.closed_at >= $3)
FROM unnest($1::text[]) p LEFT JOIN hazards h ON h.grid_code LIKE p || '%' AND h.found_at < $3
     AND (h.closed_at IS NULL OR h.closed_at >= $2)
GROUP BY p`
	gridChangesSQL = `
SELECT p, count(v.code)
FROM unnest($1::text[]) p LEFT JOIN unit_versions v ON v.level = 4 AND v.code LIKE p || '%'
     AND v.valid_from >= $2 AND v.valid_from < $3
GROUP BY p`
	staffChangesSQL = `
SELECT p, count(a.id)
FROM unnest($1::text[]) p LEFT JOIN staff_assignments a ON a.unit_code LIKE p || '%' AND a.status = 'active'
     AND ((a.from_date >= ($2 AT TIME ZONE 'Asia/Shanghai')::date AND a.from_date < ($3 AT TIME ZONE 'Asia/Shanghai')::date)
       OR (a.to_date >= ($2 AT TIME ZONE 'Asia/Shanghai')::date AND a.to_date < ($3 AT TIME ZONE 'Asia/Shanghai')::date))
GROUP BY p`
	unitsSQL = `
SELECT code, name, level, unit_scope(code), 0 FROM units WHERE code = $1
UNION ALL SELECT code, name, level, unit_scope(code), 1 FROM units WHERE parent_code = $1
ORDER BY 5, 1`
)

// Compute builds the report of a district, street or community (level 1–3) for p,
// with the records as they stand at now. The caller has checked the unit
// against the principal's scope.
func Compute(ctx context.Context, st *store.Store, code string, p Period, now time.Time) (Report, error) {
	q := st.Pool()
	rows, err := q.Query(ctx, unitsSQL, code)
	if err != nil {
		return Report{}, fmt.Errorf("workreport: units: %w", err)
	}
	type u struct {
		code, name, prefix string
		level, ord         int
	}
	us, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (x u, err error) {
		err = r.Scan(&x.code, &x.name, &x.level, &x.prefix, &x.ord)
		return x, err
	})
	if err != nil {
		return Report{}, fmt.Errorf("workreport: units: %w", err)
	}
	if len(us) == 0 || us[0].ord != 0 {
		return Report{}, apperr.New(apperr.ErrNotFound, "unit %s not found", code)
	}
	if us[0].level < unit.LevelDistrict || us[0].level > unit.LevelCommunity {
		return Report{}, apperr.New(apperr.ErrInvalid, "unit %s: a work report is for a district, a street or a community", code)
	}
	// Children first, the unit's own row (the total) last.
	us = append(us[1:], us[0])
	prefixes := make([]string, len(us))
	byPrefix := make(map[string]*Row, len(us))
	r := Report{Unit: code, Name: us[len(us)-1].name, Period: p.Label,
		From: p.From.Format("2006-01-02"), To: p.To.Format("2006-01-02"), Rows: make([]Row, len(us))}
	for i, x := range us {
		prefixes[i] = x.prefix
		r.Rows[i] = Row{Code: x.code, Name: x.name, Total: x.ord == 0}
		byPrefix[x.prefix] = &r.Rows[i]
	}
	kinds := []struct {
		name, sql string
		dest      func(*Row) []any
	}{
		{"cases", casesSQL, func(w *Row) []any { return []any{&w.CasesReported, &w.CasesClosed, &w.CasesOverdue} }},
		{"patrol", patrolSQL, func(w *Row) []any { return []any{&w.PatrolHours, &w.PatrolWorkerDays} }},
		{"visits", visitsSQL, func(w *Row) []any { return []any{&w.Visits, &w.VisitedHouseholds} }},
		{"hazards", hazardsSQL, func(w *Row) []any { return []any{&w.HazardsOpened, &w.HazardsClosed, &w.HazardsOpenAtEnd} }},
		{"grid changes", gridChangesSQL, func(w *Row) []any { return []any{&w.GridChanges} }},
		{"staff changes", staffChangesSQL, func(w *Row) []any { return []any{&w.StaffChanges} }},
	}
	for _, k := range kinds {
		if err := scanKind(ctx, q, k.sql, prefixes, p, byPrefix, k.dest); err != nil {
			return Report{}, fmt.Errorf("workreport: %s: %w", k.name, err)
		}
	}
	if err := visitsDue(ctx, st, code, p, now, prefixes, r.Rows); err != nil {
		return Report{}, err
	}
	for i := range r.Rows {
		if w := &r.Rows[i]; w.CasesReported > 0 {
			w.ClosureRate = float64(w.CasesClosed) / float64(w.CasesReported)
		}
	}
	return r, nil
}

// visitsDue sums the visit report's due households of the period's last
// month over each row's grids (the rules are resolved per grid there).
func visitsDue(ctx context.Context, st *store.Store, code string, p Period, now time.Time, prefixes []string, rows []Row) error {
	last := p.To.AddDate(0, -1, 0)
	asOf := now
	if p.To.Before(now) {
		asOf = p.To
	}
	grids, err := st.VisitReport(ctx, code, unit.PrefixLen(code), time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC), asOf)
	if err != nil {
		return fmt.Errorf("workreport: visits due: %w", err)
	}
	for _, g := range grids {
		for i, pre := range prefixes {
			if strings.HasPrefix(g.Grid, pre) {
				rows[i].VisitsDue += g.Due
			}
		}
	}
	return nil
}

func scanKind(ctx context.Context, q store.Querier, sql string, prefixes []string, p Period, by map[string]*Row, dest func(*Row) []any) error {
	rows, err := q.Query(ctx, sql, prefixes, p.From, p.To)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		// The first column is the prefix (text, the same bytes in either wire format).
		prefix := string(rows.RawValues()[0])
		w := by[prefix]
		if w == nil {
			return fmt.Errorf("unexpected prefix %q", prefix)
		}
		if err := rows.Scan(append([]any{&prefix}, dest(w)...)...); err != nil {
			return err
		}
	}
	return rows.Err()
}
