package service_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/assessment"
	"wangge/internal/assessment/service"
	"wangge/internal/dbtest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The migration seeds the default scheme exactly as assessment.Default.
func TestSeededDefaultIsTheScheme(t *testing.T) {
	pool, _ := dbtest.New(t)
	var raw []byte
	if err := pool.QueryRow(context.Background(), `SELECT rules FROM assessment_rules WHERE unit_code = '' AND version = 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var r assessment.Rules
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r, assessment.Default()) {
		t.Errorf("seeded rules differ from assessment.Default:\n%s", raw)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE assessment_rules SET created_by = 'x'`); err == nil {
		t.Error("a rule version was changed in place")
	}
}

// city loads a synthetic district of n grid workers (one per grid, 25 grids
// a community, 10 communities a street) with a month of records for October
// 2026: patrol days, ~30 reports each, 20 households a grid (some with a
// monthly visit rule), phone and dispatch checks, a training per street.
func city(tb testing.TB, pool *pgxpool.Pool, n int) {
	tb.Helper()
	ctx := context.Background()
	steps := []string{
		`INSERT INTO units (code, level, name, kind, region_code, geom) VALUES
            ('330188000000', 1, '合成区', 'admin', '330188', ST_Multi(ST_MakeEnvelope(120, 30, 121, 31, 4326)))`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
         SELECT '330188' || lpad(s::text, 3, '0') || '000', '330188000000', 2, '街道' || s, 'admin', '330188',
                ST_Multi(ST_MakeEnvelope(120 + s * 0.01, 30, 120 + s * 0.01 + 0.009, 31, 4326))
         FROM generate_series(1, ceil($1 / 250.0)::int) s`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
         SELECT left(st.code, 9) || lpad(c::text, 3, '0'), st.code, 3, st.name || '社区' || c, 'admin', '330188', st.geom
         FROM units st, generate_series(1, 10) c WHERE st.level = 2 AND st.region_code = '330188'`,
		`INSERT INTO units (code, parent_code, level, name, kind, region_code, geom)
         SELECT c.code || lpad(g::text, 3, '0'), c.code, 4, c.name || '网格' || g, 'basic', '330188', c.geom
         FROM units c, generate_series(1, 25) g WHERE c.level = 3 AND c.region_code = '330188'
         ORDER BY 1 LIMIT $1`,
		`INSERT INTO users (username, password_hash, role, unit_code, display_name)
         SELECT 'c' || code, 'x', 'officer', code, '网格员' || right(code, 6) FROM units WHERE level = 4 AND region_code = '330188'`,
		`INSERT INTO grid_staff (unit_code, role, name, user_id) SELECT unit_code, 'grid_worker', display_name, id FROM users WHERE username LIKE 'c330188%'`,
		// Working days of October 2026 (and a few in the two months before).
		`INSERT INTO patrol_days (user_id, day, region_code, closed, distance_m, patrol_seconds, moving_seconds, stopped_seconds,
            in_grid_seconds, coverage_radius_m, fixes, dropped, trips, stops)
         SELECT g.user_id, d, '330188', true, 1000, 3600 * (4 + (hashint4(g.user_id::int * 31 + extract(doy FROM d)::int) & 8)), 0, 0, 0, 50, 10, 0, '[]', '[]'
         FROM grid_staff g, generate_series('2026-08-25'::date, '2026-10-31'::date, '1 day') d
         WHERE g.unit_code LIKE '330188%' AND extract(isodow FROM d) < 6`,
		`INSERT INTO incidents (region_code, grid_code, type, category, title, status, pt, reported_by, reported_at, source)
         SELECT '330188', g.unit_code, 'routine', 'sanitation.litter', '合成', (ARRAY['accepted','closed','closed','closed','dispatched','invalid','reported'])[1 + (hashint4(g.user_id::int * 97 + k) & 2147483647) % 7],
                ST_SetSRID(ST_MakePoint(120.5, 30.5), 4326), g.user_id,
                '2026-10-01T00:00:00+08'::timestamptz + ((hashint4(g.user_id::int + k * 7919) & 2147483647) % (31 * 86400)) * interval '1 second', 'demo'
         FROM grid_staff g, generate_series(1, 30) k WHERE g.unit_code LIKE '330188%'`,
		`INSERT INTO incident_events (incident_id, action, from_status, to_status, actor_name, at)
         SELECT id, 'invalid', 'reported', 'invalid', 'centre', reported_at + interval '1 hour' FROM incidents WHERE region_code = '330188' AND status = 'invalid'`,
		`INSERT INTO buildings (region_code, grid_code, name, pt) SELECT '330188', code, '楼', ST_SetSRID(ST_MakePoint(120.5, 30.5), 4326)
         FROM units WHERE level = 4 AND region_code = '330188'`,
		`INSERT INTO households (region_code, building_id, head_name, members) SELECT '330188', b.id, '户主', 2
         FROM buildings b, generate_series(1, 20) WHERE b.region_code = '330188'`,
		`INSERT INTO persons (region_code, household_id, name, residence, categories)
         SELECT '330188', h.id, '居民', 'registered', CASE WHEN h.id % 5 = 0 THEN ARRAY['empty_nest'] ELSE '{}' END
         FROM households h WHERE h.region_code = '330188'`,
		`INSERT INTO visits (id, region_code, request_hash, user_id, household_id, grid_code, visited_at, geom, distance_m, far, recorded_at)
         SELECT gen_random_uuid(), '330188', '\x00', g.user_id, h.id, b.grid_code, '2026-10-15T10:00:00+08', b.pt, 0, false, '2026-10-15T10:00:00+08'
         FROM households h JOIN buildings b ON b.id = h.building_id JOIN grid_staff g ON g.unit_code = b.grid_code
         WHERE h.region_code = '330188' AND h.id % 10 = 0`,
		`INSERT INTO phone_spot_checks (region_code, user_id, called_at, answered)
         SELECT '330188', g.user_id, '2026-10-10T10:00:00+08'::timestamptz + k * interval '5 days', (hashint4(g.user_id::int * 13 + k) & 7) <> 0
         FROM grid_staff g, generate_series(1, 2) k WHERE g.unit_code LIKE '330188%'`,
		`INSERT INTO dispatch_checks (region_code, user_id, level, checked_at)
         SELECT '330188', g.user_id, (ARRAY['province','city','county'])[1 + g.user_id % 3], '2026-10-20T09:00:00+08'
         FROM grid_staff g WHERE g.unit_code LIKE '330188%' AND g.user_id % 17 = 0`,
		`INSERT INTO training_sessions (region_code, unit_code, title, held_on)
         SELECT '330188', code, '培训', '2026-10-12' FROM units WHERE level = 2 AND region_code = '330188'`,
		`INSERT INTO training_attendance (session_id, user_id, region_code, status)
         SELECT s.id, g.user_id, '330188', 'present' FROM training_sessions s JOIN grid_staff g ON left(g.unit_code, 9) = left(s.unit_code, 9)
         WHERE s.region_code = '330188' AND g.user_id % 11 <> 0`,
		`ANALYZE`,
	}
	for _, q := range steps {
		var args []any
		if containsParam(q) {
			args = []any{n}
		}
		if _, err := pool.Exec(ctx, q, args...); err != nil {
			tb.Fatalf("city: %v\n%s", err, q)
		}
	}
}

func containsParam(q string) bool {
	for i := 0; i+1 < len(q); i++ {
		if q[i] == '$' && q[i+1] == '1' {
			return true
		}
	}
	return false
}

// The reference: the same month's figures and arithmetic of the default
// scheme as one SQL query (patrol and incident shortfalls, invalid reports,
// missed monthly visits, absences, phone and dispatch checks).
const referenceSQL = `
WITH w AS (SELECT user_id, unit_code AS grid FROM grid_staff WHERE role = 'grid_worker' AND unit_code LIKE '330188%'),
wd AS (SELECT count(*) AS n FROM generate_series('2026-10-01'::date, '2026-10-31'::date, '1 day') d WHERE extract(isodow FROM d) < 6),
p AS (SELECT user_id, sum(patrol_seconds) AS s FROM patrol_days WHERE user_id IN (SELECT user_id FROM w)
      AND day >= '2026-10-01' AND day < '2026-11-01' GROUP BY 1),
i AS (SELECT reported_by AS user_id, count(*) FILTER (WHERE status <> 'invalid') AS v, count(*) FILTER (WHERE status = 'invalid') AS bad
      FROM incidents WHERE reported_by IN (SELECT user_id FROM w) AND status <> 'reported'
      AND reported_at >= '2026-10-01T00:00:00+08' AND reported_at < '2026-11-01T00:00:00+08' GROUP BY 1),
ph AS (SELECT user_id, count(*) AS n FROM phone_spot_checks WHERE NOT answered AND user_id IN (SELECT user_id FROM w)
       AND called_at >= '2026-10-01T00:00:00+08' AND called_at < '2026-11-01T00:00:00+08' GROUP BY 1),
dc AS (SELECT user_id, sum(CASE level WHEN 'province' THEN 20 WHEN 'city' THEN 15 ELSE 10 END) AS pts FROM dispatch_checks
       WHERE user_id IN (SELECT user_id FROM w) AND checked_at >= '2026-10-01T00:00:00+08' AND checked_at < '2026-11-01T00:00:00+08' GROUP BY 1),
tr AS (SELECT w.user_id, count(*) AS n FROM w JOIN training_sessions s ON s.region_code = '330188' AND s.held_on >= '2026-10-01' AND s.held_on < '2026-11-01'
       AND left(w.grid, length(unit_scope(s.unit_code))) = unit_scope(s.unit_code)
       WHERE NOT EXISTS (SELECT 1 FROM training_attendance a WHERE a.session_id = s.id AND a.user_id = w.user_id AND a.status IN ('present', 'excused'))
       GROUP BY 1),
r AS (SELECT DISTINCT ON (category) category, months FROM visit_rules WHERE unit_code = '' ORDER BY category),
hh AS (SELECT h.id, b.grid_code FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_code LIKE '330188%'),
ruled AS (SELECT hh.id, hh.grid_code, rr.months,
          make_date(2026, ((10 - 1) / rr.months) * rr.months + 1, 1) AS pstart
          FROM hh CROSS JOIN LATERAL (SELECT r.category, r.months FROM r
              WHERE r.category = '*' OR r.category IN (SELECT unnest(p.categories) FROM persons p WHERE p.household_id = hh.id)
              ORDER BY r.months, r.category LIMIT 1) rr),
mv AS (SELECT grid_code, count(*) AS n FROM ruled
       WHERE (pstart + make_interval(months => months - 1)) = '2026-10-01'::date
         AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = ruled.id
             AND v.visited_at >= (ruled.pstart::timestamp AT TIME ZONE 'Asia/Shanghai') AND v.visited_at < '2026-11-01T00:00:00+08')
       GROUP BY 1)
SELECT w.user_id,
       round((100
         - 2 * coalesce(tr.n, 0)
         - 2 * coalesce(mv.n, 0)
         - CASE WHEN round((coalesce(p.s, 0) / 3600.0 / wd.n)::numeric, 2) >= 10 THEN 0 ELSE round(20 * (1 - round((coalesce(p.s, 0) / 3600.0 / wd.n)::numeric, 2) / 10), 2) END
         - CASE WHEN coalesce(i.v, 0) >= 25 THEN 0 ELSE round(30 * (1 - coalesce(i.v, 0) / 25.0)::numeric, 2) END
         - 3 * coalesce(i.bad, 0)
         - 5 * coalesce(ph.n, 0)
         - coalesce(dc.pts, 0))::numeric, 2)::float8
FROM w CROSS JOIN wd LEFT JOIN p USING (user_id) LEFT JOIN i USING (user_id) LEFT JOIN ph USING (user_id)
     LEFT JOIN dc USING (user_id) LEFT JOIN tr USING (user_id) LEFT JOIN mv ON mv.grid_code = w.grid`

func reference(tb testing.TB, pool *pgxpool.Pool) map[int64]float64 {
	rows, err := pool.Query(context.Background(), referenceSQL)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[int64]float64{}
	var id int64
	var s float64
	for rows.Next() {
		if err := rows.Scan(&id, &s); err != nil {
			tb.Fatal(err)
		}
		out[id] = s
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func newService(pool *pgxpool.Pool) *service.Service {
	svc := service.New(store.New(pool))
	svc.Now = func() time.Time { return time.Date(2026, 11, 15, 12, 0, 0, 0, workcal.CST) }
	return svc
}

// A small city scored by the service agrees with the reference query, worker by worker.
func TestCityMatchesReference(t *testing.T) {
	pool, _ := dbtest.New(t)
	city(t, pool, 300)
	svc := newService(pool)
	m, err := svc.Month(context.Background(), "330188000000", time.Date(2026, 10, 1, 0, 0, 0, 0, workcal.CST))
	if err != nil {
		t.Fatal(err)
	}
	ref := reference(t, pool)
	if len(m.Workers) != 300 || len(ref) != 300 {
		t.Fatalf("%d workers scored, reference %d", len(m.Workers), len(ref))
	}
	var kinds = map[string]int{}
	for _, w := range m.Workers {
		if math.Abs(w.Score-ref[w.WorkerID]) > 0.005 {
			t.Errorf("worker %d: service %v, reference %v", w.WorkerID, w.Score, ref[w.WorkerID])
		}
		for _, it := range w.Items {
			kinds[it.Item] += len(it.Deductions)
		}
	}
	for _, k := range []string{"training", "visits", "patrol", "incidents", "phone", "dispatch"} {
		if kinds[k] == 0 {
			t.Errorf("the synthetic city exercised no %s deduction", k)
		}
	}
}

// BenchmarkScoreCity scores October of a 5,000-worker district through the
// service (inputs read from the records, two months looked back at for the
// bottom streak, then with those months closed) against the reference query.
func BenchmarkScoreCity(b *testing.B) {
	pool, _ := dbtest.New(b)
	city(b, pool, 5000)
	svc := newService(pool)
	ctx := context.Background()
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, workcal.CST)
	since := func(f func()) time.Duration { t0 := time.Now(); f(); return time.Since(t0) }
	month := func() {
		if m, err := svc.Month(ctx, "330188000000", oct); err != nil || len(m.Workers) != 5000 {
			b.Fatalf("month: %v", err)
		}
	}
	ref := func() { reference(b, pool) }
	// Service and reference alternate, so both see the same load on a
	// shared machine; the ratio is the median of the rounds'.
	rounds := func() (svcT, refT time.Duration, ratio float64) {
		var ratios []float64
		for range 3 {
			st, rt := since(month), since(ref)
			svcT, refT = svcT+st/3, refT+rt/3
			ratios = append(ratios, float64(st)/float64(rt))
		}
		slices.Sort(ratios)
		return svcT, refT, ratios[1]
	}
	b.ResetTimer()
	for b.Loop() {
		month()
	}
	b.StopTimer()
	openT, refOpen, openRatio := rounds()
	for _, mo := range []int{8, 9} {
		if _, err := svc.Close(ctx, "330188000000", time.Date(2026, time.Month(mo), 1, 0, 0, 0, 0, workcal.CST), service.Actor{Audit: store.AuditEntry{Username: "bench"}}); err != nil {
			b.Fatal(err)
		}
	}
	closedT, refClosed, closedRatio := rounds()
	b.Logf("5,000 workers, October 2026 (means of 3 rounds, ratio the median round's): with the two months before open (scored too, for the bottom streak) "+
		"service %v vs reference query %v = %.2f×; with them closed service %v vs reference %v = %.2f×",
		openT.Round(time.Millisecond), refOpen.Round(time.Millisecond), openRatio, closedT.Round(time.Millisecond), refClosed.Round(time.Millisecond), closedRatio)
}
