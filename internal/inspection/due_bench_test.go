package inspection_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"wangge/internal/auth"
	"wangge/internal/store"
)

// The reference: the same due list written plainly — the places of a
// grid-code prefix ($1), or a person's ($3: named on a place, or on its
// parent or grandparent with no one named below), the last inspection of
// each place and checklist by max() (an index probe each), the periods in SQL
// as of $2.
const (
	plainUnitPlaces  = `pl AS (SELECT id, kind, created_at FROM places WHERE grid_code LIKE $1 || '%' AND $3::bigint = 0),`
	plainStaffPlaces = `mine AS (
    SELECT p.id FROM places p WHERE p.responsible_staff_id = $3
    UNION ALL
    SELECT c.id FROM places p JOIN places c ON c.parent_id = p.id AND c.responsible_staff_id IS NULL
     WHERE p.responsible_staff_id = $3
    UNION ALL
    SELECT g.id FROM places p JOIN places c ON c.parent_id = p.id AND c.responsible_staff_id IS NULL
      JOIN places g ON g.parent_id = c.id AND g.responsible_staff_id IS NULL WHERE p.responsible_staff_id = $3),
pl AS (SELECT p.id, p.kind, p.created_at FROM mine JOIN places p USING (id) WHERE p.grid_code LIKE $1 || '%'),`
	plainDue = `
loc AS (SELECT ($2::timestamptz AT TIME ZONE 'Asia/Shanghai') AS l),
t AS (SELECT DISTINCT ON (code) code, kind, schedule FROM inspection_templates ORDER BY code, version DESC),
per AS (
    SELECT pl.id, t.code, pl.created_at, t.schedule,
           (SELECT max(i.inspected_at) FROM inspections i WHERE i.place_id = pl.id AND i.template_code = t.code) AS at,
           CASE t.schedule
             WHEN 'daily' THEN date_trunc('day', l)
             WHEN 'weekly' THEN date_trunc('week', l)
             WHEN 'monthly' THEN date_trunc('month', l)
             ELSE CASE WHEN extract(month FROM l) BETWEEN 2 AND 7 THEN make_timestamp(extract(year FROM l)::int, 2, 1, 0, 0, 0)
                       WHEN extract(month FROM l) >= 8 THEN make_timestamp(extract(year FROM l)::int, 8, 1, 0, 0, 0)
                       ELSE make_timestamp(extract(year FROM l)::int - 1, 8, 1, 0, 0, 0) END
           END AS cur
      FROM pl JOIN t ON t.kind = pl.kind CROSS JOIN loc),
b AS (SELECT per.*, cur AT TIME ZONE 'Asia/Shanghai' AS cur_at,
             (cur - CASE schedule WHEN 'daily' THEN interval '1 day' WHEN 'weekly' THEN interval '7 days'
                                  WHEN 'monthly' THEN interval '1 month' ELSE interval '6 months' END) AT TIME ZONE 'Asia/Shanghai' AS prev_at
        FROM per)
SELECT id, code, CASE WHEN created_at < cur_at AND (at IS NULL OR at < prev_at) THEN 'overdue' ELSE 'due' END
  FROM b WHERE at IS NULL OR at < cur_at ORDER BY 1, 2`
	plainUnitDueSQL  = "WITH " + plainUnitPlaces + plainDue
	plainStaffDueSQL = "WITH " + plainStaffPlaces + plainDue
)

// BenchmarkDueAtCityScale builds a city's worth of places and inspections
// in SQL — 200,000 places (20,000 buildings of 9 rooms, each building with
// its person) and 1,980,000 inspections over the last 200 days — beside a
// school grid of 41 places, and measures the school grid's due list and one
// person's (their building's rooms fall to them) through the service,
// against the same list in plain SQL in the same run. Both must give the same list. It
// prints the service query's plans.
func BenchmarkDueAtCityScale(b *testing.B) {
	w := newSchool(b)
	ctx := context.Background()
	exec := func(q string, args ...any) {
		b.Helper()
		if _, err := w.pool.Exec(ctx, q, args...); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	t0 := time.Now()
	// The school: the existing building (w.staffID's) gets 39 more rooms of
	// every kind; some inspected this period, some last period, some never.
	exec(`INSERT INTO places (grid_code, parent_id, kind, name, pt, region_code)
        SELECT $1, $2, (ARRAY['school_lab','library','computer_room','finance_room','kitchen'])[1 + i % 5], '教室 ' || i,
               ST_SetSRID(ST_MakePoint($3, $4), 4326), left($1, 6)
          FROM generate_series(1, 39) i`, w.grid, w.building, w.lon, w.lat)
	// The city in the other grids.
	exec(`INSERT INTO staff (name, phone) SELECT '负责人 ' || i, '139' || lpad(i::text, 8, '0') FROM generate_series(1, 20000) i`)
	exec(`CREATE TEMP TABLE city_grid AS SELECT code, ST_PointOnSurface(geom) AS pt, row_number() OVER (ORDER BY code) - 1 AS n
        FROM units WHERE level = 4 AND code <> $1`, w.grid)
	exec(`INSERT INTO places (grid_code, kind, name, pt, responsible_staff_id, region_code)
        SELECT g.code, 'building', '楼 ' || i, g.pt, s.id, left(g.code, 6)
          FROM generate_series(1, 20000) i
          JOIN city_grid g ON g.n = i % (SELECT count(*) FROM city_grid)
          JOIN LATERAL (SELECT id FROM staff WHERE name = '负责人 ' || i) s ON true`)
	exec(`INSERT INTO places (grid_code, parent_id, kind, name, pt, region_code)
        SELECT p.grid_code, p.id, (ARRAY['school_lab','library','computer_room','finance_room','kitchen','workshop','rental_house','self_built_house','library'])[r],
               '房间 ' || r, p.pt, p.region_code
          FROM places p, generate_series(1, 9) r WHERE p.kind = 'building' AND p.name LIKE '楼 %'`)
	// Eleven inspections per room, its checklist, over the last 200 days.
	exec(`INSERT INTO inspections (id, request_hash, place_id, template_code, template_version, inspector_name,
            inspected_at, pt, distance_m, far, passed, results, region_code)
        SELECT gen_random_uuid(), '\x00', p.id, t.code, 1, 'bench', $1::timestamptz - ((p.id * 7 + k * 19) % 200) * interval '1 day',
               p.pt, 0, false, true, '[]', p.region_code
          FROM places p JOIN inspection_templates t ON t.kind = p.kind AND t.version = 1, generate_series(1, 11) k
         WHERE p.kind <> 'building'`, w.now)
	exec(`ANALYZE places; ANALYZE inspections; ANALYZE staff`)
	var places, insp int
	if err := w.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM places), (SELECT count(*) FROM inspections)`).Scan(&places, &insp); err != nil {
		b.Fatal(err)
	}
	b.Logf("city: %d places, %d inspections, built in %s", places, insp, time.Since(t0).Round(time.Second))

	admin := auth.Principal{UserID: w.inspector.UserID, Username: "admin", Role: auth.Admin}
	type key struct {
		place        int64
		code, status string
	}
	reference := func(prefix string, staff int64) []key {
		q := plainUnitDueSQL
		if staff != 0 {
			q = plainStaffDueSQL
		}
		rows, err := w.pool.Query(ctx, q, prefix, w.now, staff)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var out []key
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.place, &k.code, &k.status); err != nil {
				b.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	service := func(unit string, staff int64) []key {
		list, err := w.svc.Due(ctx, admin, unit, staff)
		if err != nil {
			b.Fatal(err)
		}
		out := make([]key, len(list))
		for i, d := range list {
			out[i] = key{d.PlaceID, d.Template, d.State}
		}
		slices.SortFunc(out, func(x, y key) int {
			if x.place != y.place {
				return int(x.place - y.place)
			}
			return strings.Compare(x.code, y.code)
		})
		return out
	}
	var cityStaff int64
	if err := w.pool.QueryRow(ctx, `SELECT id FROM staff WHERE name = '负责人 777'`).Scan(&cityStaff); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		unit   string
		staff  int64
		prefix string
	}{
		{"school-grid", w.grid, 0, w.grid},
		{"school-person", "", w.staffID, ""},
		{"city-person", "", cityStaff, ""},
	}
	for _, c := range cases {
		got, want := service(c.unit, c.staff), reference(c.prefix, c.staff)
		if !slices.Equal(got, want) || len(got) == 0 {
			b.Fatalf("%s: the service's due list (%d) differs from the plain SQL's (%d):\n%v\n%v", c.name, len(got), len(want), got, want)
		}
	}
	for _, c := range cases {
		p, err := w.st.ExplainPlaceSchedules(ctx, store.ScheduleFilter{Prefix: c.prefix, StaffID: c.staff})
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("--- plan of the service's query, %s\n%s\n", c.name, p)
	}
	const rounds = 20
	svc, ref := make([]time.Duration, len(cases)), make([]time.Duration, len(cases))
	for b.Loop() {
		for i, c := range cases {
			t1 := time.Now()
			for range rounds {
				service(c.unit, c.staff)
			}
			t2 := time.Now()
			for range rounds {
				reference(c.prefix, c.staff)
			}
			svc[i], ref[i] = svc[i]+t2.Sub(t1), ref[i]+time.Since(t2)
		}
	}
	for i, c := range cases {
		n := float64(b.N * rounds)
		b.ReportMetric(float64(svc[i].Microseconds())/n, "µs/"+c.name)
		b.ReportMetric(float64(ref[i].Microseconds())/n, "µs/"+c.name+"-plain")
		b.ReportMetric(float64(svc[i])/float64(ref[i]), "ratio-"+c.name)
	}
}
