package store_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// The same due list as dueSQL, written plainly: the strictest default rule
// per household from a join and GROUP BY, and the visits of its period.
// (The city has no unit-level rules, so the defaults are every grid's rules.)
const plainDueSQL = `
WITH m AS (
    SELECT h.id, min(r.months) AS months
    FROM households h JOIN buildings b ON b.id = h.building_id
    LEFT JOIN persons p ON p.household_id = h.id
    LEFT JOIN LATERAL unnest(p.categories) c ON true
    JOIN visit_rules r ON r.unit_code = '' AND (r.category = '*' OR r.category = c)
    WHERE b.grid_code = $1 GROUP BY h.id
)
SELECT m.id FROM m
WHERE NOT EXISTS (SELECT 1 FROM visits v WHERE v.household_id = m.id AND v.recorded_at <= $3
    AND v.visited_at >= (make_date(extract(year FROM $2::date)::int, ((extract(month FROM $2::date)::int - 1) / m.months) * m.months + 1, 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
    AND v.visited_at < (($2::date + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'))
ORDER BY m.id`

// TestDueListCityScale: WANGGE_DUE_PERSONS=1000000 go test -run TestDueListCityScale -v ./internal/store
// builds a city of that many persons (COPY) and times one grid's due list
// against plainDueSQL, checking both give the same households.
func TestDueListCityScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WANGGE_DUE_PERSONS"))
	if n == 0 {
		t.Skip("set WANGGE_DUE_PERSONS (e.g. 1000000) to build the city")
	}
	pool, _ := dbtest.Demo(t, demo.Options{Grids: 10, PatrolDays: -1, Password: "x-bench-pass-1"})
	ctx := context.Background()
	var target string
	if err := pool.QueryRow(ctx, `SELECT grid_code FROM buildings WHERE grid_code IS NOT NULL GROUP BY 1 ORDER BY 1 LIMIT 1`).Scan(&target); err != nil {
		t.Fatal(err)
	}
	// 2.5 persons per household; the target grid keeps ~300 households,
	// the rest of the city lies in the other grids' buildings.
	households := n * 2 / 5
	start := time.Now()
	if _, err := pool.Exec(ctx, `
		INSERT INTO households (region_code, building_id, head_name, members)
		SELECT b.region_code, b.id, '户主', 3
		FROM generate_series(1, $1) i
		JOIN LATERAL (SELECT id, region_code FROM buildings WHERE grid_code IS NOT NULL AND grid_code <> $2 ORDER BY id OFFSET i % 50 LIMIT 1) b ON true`,
		households, target); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO households (region_code, building_id, head_name, members)
		SELECT b.region_code, b.id, '户主', 3 FROM buildings b CROSS JOIN generate_series(1, 30) WHERE b.grid_code = $1`, target); err != nil {
		t.Fatal(err)
	}
	rows, _ := pool.Query(ctx, `SELECT id, region_code FROM households ORDER BY id`)
	type hh struct {
		id     int64
		region string
	}
	var hhs []hh
	for rows.Next() {
		var h hh
		rows.Scan(&h.id, &h.region)
		hhs = append(hhs, h)
	}
	rows.Close()
	cats := [][]string{{}, {}, {}, {"empty_nest"}, {"dibao"}, {"veteran"}, {}, {"party_member"}, {}, {"living_alone", "disabled"}}
	i := 0
	copied, err := pool.CopyFrom(ctx, pgx.Identifier{"persons"}, []string{"region_code", "household_id", "name", "residence", "categories"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			h := hhs[(i*7919)%len(hhs)]
			row := []any{h.region, h.id, "居民", "registered", cats[i%len(cats)]}
			i++
			return row, nil
		}))
	if err != nil || int(copied) != n {
		t.Fatalf("copy persons: %d %v", copied, err)
	}
	// A third of the households visited, spread over the last year.
	if _, err := pool.Exec(ctx, `
		INSERT INTO visits (id, region_code, request_hash, household_id, grid_code, visited_at, geom, distance_m, far, recorded_at)
		SELECT gen_random_uuid(), h.region_code, '\x00', h.id, b.grid_code, t, b.pt, 0, false, t
		FROM households h JOIN buildings b ON b.id = h.building_id,
		     LATERAL (SELECT timestamptz '2026-01-01 10:00+08' + (h.id % 330) * interval '1 day' AS t) x
		WHERE h.id % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE households; ANALYZE persons; ANALYZE visits; ANALYZE buildings`); err != nil {
		t.Fatal(err)
	}
	var total, inGrid int
	pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE b.grid_code = $1) FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id`, target).Scan(&total, &inGrid)
	t.Logf("city: %d persons (%d in grid %s), %d households, built in %v", total, inGrid, target, len(hhs), time.Since(start).Round(time.Second))

	s := store.New(pool)
	if os.Getenv("WANGGE_DUE_EXPLAIN") != "" {
		rows, _ := pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+store.DueSQLForTest, []string{target}, []string{target, target[:12], target[:9] + "000", target[:6] + "000000", ""}, "2026-06-01", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))
		for rows.Next() {
			var l string
			rows.Scan(&l)
			fmt.Println(l)
		}
		rows.Close()
	}
	month := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	asOf := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	var appT, plainT []time.Duration
	var appIDs, plainIDs []int64
	for range 7 {
		t0 := time.Now()
		due, err := s.DueVisits(ctx, []string{target}, month, asOf)
		if err != nil {
			t.Fatal(err)
		}
		appT = append(appT, time.Since(t0))
		appIDs = appIDs[:0]
		for _, d := range due {
			appIDs = append(appIDs, d.HouseholdID)
		}
		t0 = time.Now()
		rows, err := pool.Query(ctx, plainDueSQL, target, month.Format("2006-01-02"), asOf)
		if err != nil {
			t.Fatal(err)
		}
		if plainIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			t.Fatal(err)
		}
		plainT = append(plainT, time.Since(t0))
	}
	slices.Sort(appIDs)
	if len(appIDs) == 0 || !slices.Equal(appIDs, plainIDs) {
		t.Fatalf("due lists differ: service %d households, plain SQL %d", len(appIDs), len(plainIDs))
	}
	med := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	a, p := med(appT), med(plainT)
	fmt.Printf("due list, grid %s in a %d-person city: %d households due; service %v, plain SQL %v (median of 7); ratio %.2f\n",
		target, total, len(appIDs), a, p, float64(a)/float64(p))
}
