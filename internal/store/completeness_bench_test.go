package store_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// plainCompletenessSQL is the same district total written plainly: outer
// joins grouped per address and household, over the grids under $1.
const plainCompletenessSQL = `
WITH ad AS (
    SELECT a.id, bool_and(h.id IS NULL) AS empty FROM addresses a JOIN buildings b ON b.id = a.building_id
      LEFT JOIN households h ON h.address_id = a.id WHERE left(b.grid_code, $2) = left($1, $2) GROUP BY a.id
), hh AS (
    SELECT h.id, count(p.id) = 0 AS empty FROM households h JOIN buildings b ON b.id = h.building_id
      LEFT JOIN persons p ON p.household_id = h.id WHERE left(b.grid_code, $2) = left($1, $2) GROUP BY h.id
), pp AS (
    SELECT count(*) AS n, count(*) FILTER (WHERE p.id_number = '') AS no_id, count(*) FILTER (WHERE p.phone = '') AS no_phone
      FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id
     WHERE left(b.grid_code, $2) = left($1, $2)
)
SELECT (SELECT count(*) FROM ad), (SELECT count(*) FILTER (WHERE empty) FROM ad),
       (SELECT count(*) FROM hh), (SELECT count(*) FILTER (WHERE empty) FROM hh), n, no_id, no_phone FROM pp`

// TestCompletenessCityScale: WANGGE_COMPLETENESS_PERSONS=1000000 go test -run TestCompletenessCityScale -v ./internal/store
// adds that many persons (COPY) to the demo district's households, some
// households without members and addresses without households, and times
// the report of one community and of the whole district against
// plainCompletenessSQL, checking both give the same totals.
func TestCompletenessCityScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WANGGE_COMPLETENESS_PERSONS"))
	if n == 0 {
		t.Skip("set WANGGE_COMPLETENESS_PERSONS (e.g. 1000000) to build the city")
	}
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: -1, Password: "x-bench-pass-1"})
	ctx := context.Background()
	start := time.Now()
	// 2.5 persons per household: households to hold n persons, one in 20
	// left empty; one address in 10 with nobody on it.
	if _, err := pool.Exec(ctx, `
		WITH bs AS (SELECT array_agg(id ORDER BY id) AS a FROM buildings WHERE grid_code IS NOT NULL)
		INSERT INTO households (region_code, building_id, head_name, members)
		SELECT '330199', bs.a[1 + i % array_length(bs.a, 1)], '户主', 3 FROM bs, generate_series(1, $1) i`, n*2/5); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO addresses (region_code, building_id, full_text)
		SELECT region_code, id, '空置' FROM buildings, generate_series(1, 2) WHERE grid_code IS NOT NULL;
		UPDATE households h SET address_id = a.id FROM (SELECT b.id AS building, min(a.id) AS id FROM addresses a
		  JOIN buildings b ON b.id = a.building_id GROUP BY b.id) a WHERE h.address_id IS NULL AND h.building_id = a.building AND h.id % 10 <> 0`); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, _ := pool.Query(ctx, `SELECT id FROM households WHERE id % 20 <> 0 ORDER BY id`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	i := 0
	copied, err := pool.CopyFrom(ctx, pgx.Identifier{"persons"}, []string{"region_code", "household_id", "name", "phone", "residence"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			phone := "13800000000"
			if i%7 == 0 {
				phone = ""
			}
			row := []any{"330199", ids[(i*7919)%len(ids)], "居民", phone, "registered"}
			i++
			return row, nil
		}))
	if err != nil || int(copied) != n {
		t.Fatalf("copy persons: %d %v", copied, err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE addresses; ANALYZE households; ANALYZE persons; ANALYZE buildings`); err != nil {
		t.Fatal(err)
	}
	var persons, households, community int
	pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM households)`).Scan(&persons, &households)
	var comm string
	pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 3 ORDER BY code LIMIT 1`).Scan(&comm)
	pool.QueryRow(ctx, `SELECT count(*) FROM persons p JOIN households h ON h.id = p.household_id JOIN buildings b ON b.id = h.building_id WHERE b.grid_code LIKE $1 || '%'`, comm).Scan(&community)
	t.Logf("city: %d persons, %d households (community %s: %d persons), built in %v", persons, households, comm, community, time.Since(start).Round(time.Second))

	s := store.New(pool)
	for _, parent := range []string{comm, "330199000000"} {
		plen := len(parent)
		if parent == "330199000000" {
			plen = 6
		}
		var appT, plainT []time.Duration
		var got, want [7]int
		for range 5 {
			t0 := time.Now()
			total, _, err := s.CompletenessReport(ctx, parent, plen)
			if err != nil {
				t.Fatal(err)
			}
			appT = append(appT, time.Since(t0))
			got = [7]int{total.Addresses, total.AddressesNoHousehold, total.Households, total.HouseholdsNoMember, total.Persons, total.PersonsNoID, total.PersonsNoPhone}
			t0 = time.Now()
			if err := pool.QueryRow(ctx, plainCompletenessSQL, parent, plen).Scan(&want[0], &want[1], &want[2], &want[3], &want[4], &want[5], &want[6]); err != nil {
				t.Fatal(err)
			}
			plainT = append(plainT, time.Since(t0))
		}
		if got != want {
			t.Fatalf("%s: report %v, plain SQL %v", parent, got, want)
		}
		slices.Sort(appT)
		slices.Sort(plainT)
		t.Logf("%s: report %v [plain SQL %v], ratio %.2f, median of 5; totals %v", parent, appT[2].Round(time.Millisecond),
			plainT[2].Round(time.Millisecond), float64(appT[2])/float64(plainT[2]), got)
	}
}
