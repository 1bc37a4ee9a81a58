package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
)

// statsDiff lists every (unit, key) whose kept count differs from a full
// recount, in one statement (one snapshot).
func statsDiff(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		WITH kept AS (SELECT code, key, sum(n) AS n FROM unit_stat_deltas GROUP BY 1, 2 HAVING sum(n) <> 0),
		recount AS (SELECT * FROM unit_stats_recount_rows())
		SELECT coalesce(k.code, f.code) || ' ' || coalesce(k.key, f.key) || ': kept ' || coalesce(k.n, 0) || ', recount ' || coalesce(f.n, 0)
		FROM kept k FULL JOIN recount f ON f.code = k.code AND f.key = k.key
		WHERE k.n IS DISTINCT FROM f.n ORDER BY 1 LIMIT 20`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// statsChecker returns check(step): it fails the test when after step the
// kept counts differ from a full recount.
func statsChecker(t *testing.T, pool *pgxpool.Pool) func(step string) {
	return func(step string) {
		t.Helper()
		if d := statsDiff(t, pool); len(d) > 0 {
			t.Fatalf("after %s the kept counts differ from a recount:\n%s", step, strings.Join(d, "\n"))
		}
	}
}

func mustExec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int64 {
	t.Helper()
	tag, err := pool.Exec(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.RowsAffected()
}

// TestUnitStatsStayExact: import (COPY and INSERT … SELECT), an adjust-mode
// boundary edit that re-assigns buildings, deletes, tag and building changes:
// the kept counts equal a full recount at every level after each step.
func TestUnitStatsStayExact(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Demo(t, demo.Options{PatrolDays: 1, Password: demoPassword})
	base := ownServer(t, pool)
	ctx := context.Background()
	check := statsChecker(t, pool)
	check("the demo load")

	// Import: a COPY of 500 households into existing buildings, and a bulk insert.
	var ids []int64
	rows, _ := pool.Query(ctx, `SELECT id FROM buildings WHERE grid_code IS NOT NULL ORDER BY id LIMIT 50`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 {
		t.Fatal("no buildings", err)
	}
	src := make([][]any, 500)
	for i := range src {
		src[i] = []any{"330199", ids[i%len(ids)], "导入户主", int16(i % 7), []string{"低保", "新导入"}[:1+i%2]}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"households"}, []string{"region_code", "building_id", "head_name", "members", "tags"}, pgx.CopyFromRows(src)); err != nil {
		t.Fatal(err)
	}
	check("a COPY import")
	mustExec(t, pool, `INSERT INTO households (region_code, building_id, head_name, members, tags)
		SELECT region_code, id, '批量', 3, '{独居老人}' FROM buildings WHERE grid_code IS NOT NULL`)
	check("a bulk insert")

	// A boundary edit in adjust mode: delete a grid; its area and buildings go to a neighbour.
	var grid string
	var version int
	if err := pool.QueryRow(ctx, `SELECT g.code, g.version FROM units g WHERE g.level = 4 AND g.kind = 'basic'
		AND EXISTS (SELECT 1 FROM buildings b WHERE b.grid_code = g.code) ORDER BY g.code LIMIT 1`).Scan(&grid, &version); err != nil {
		t.Fatal(err)
	}
	tok := loginAs(t, base, "admin")
	resp, body := do(t, "DELETE", base+"/api/grids/"+grid+"?mode=adjust&reason=stats&version="+strconv.Itoa(version), tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("adjust delete: %d %s", resp.StatusCode, body)
	}
	if !bytes.Contains(body, []byte(`"buildings"`)) {
		t.Fatalf("reply %s", body)
	}
	check("an adjust-mode delete of grid " + grid)

	// Updates and deletes.
	mustExec(t, pool, `UPDATE households SET members = members + 1, tags = tags || '{残疾}' WHERE id % 3 = 0`)
	check("an update of members and tags")
	mustExec(t, pool, `UPDATE households h SET building_id = (SELECT max(id) FROM buildings) WHERE id % 11 = 0`)
	check("households moved between buildings")
	if n := mustExec(t, pool, `DELETE FROM households WHERE id % 2 = 0`); n == 0 {
		t.Fatal("deleted nothing")
	}
	check("deleting households")
	mustExec(t, pool, `UPDATE buildings SET grid_code = NULL WHERE id IN (SELECT id FROM buildings ORDER BY id DESC LIMIT 5)`)
	check("buildings leaving every grid")
	if n, err := store.CompactUnitStats(ctx, pool); err != nil || n <= 0 {
		t.Fatalf("compact folded %d rows: %v", n, err)
	}
	check("compaction")

	// The endpoint: the district's totals equal the sum of its streets'.
	var district string
	if err := pool.QueryRow(ctx, `SELECT code FROM units WHERE level = 1 ORDER BY code LIMIT 1`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	resp, body = do(t, "GET", base+"/api/reports/unit-stats?unit="+district, tok, "")
	if resp.StatusCode != 200 {
		t.Fatalf("unit-stats: %d %s", resp.StatusCode, body)
	}
	var r struct {
		Unit     store.UnitStat
		Children []store.UnitStat
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	var want int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM households h JOIN buildings b ON b.id = h.building_id
		WHERE b.grid_code IS NOT NULL`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	sum := int64(0)
	for _, c := range r.Children {
		sum += c.Counts["households"]
	}
	if r.Unit.Counts["households"] != want || sum != want || len(r.Children) == 0 {
		t.Fatalf("district households %d, streets sum %d, recount %d (%d streets)", r.Unit.Counts["households"], sum, want, len(r.Children))
	}
}

// TestUnitStatsScope: a planner reads their street, not the district; bad codes are 400.
func TestUnitStatsScope(t *testing.T) {
	base := demoServer(t)
	tok := tokenFor(t, base, "planner")
	var street, district string
	if err := demoPool.QueryRow(context.Background(), `SELECT unit_code, left(unit_code, 6) || '000000' FROM users WHERE username = 'planner'`).Scan(&street, &district); err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, "GET", base+"/api/reports/unit-stats?unit="+street, tok, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"children":[{`) {
		t.Fatalf("own street: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", base+"/api/reports/unit-stats?unit="+district, tok, "")
	wantError(t, "district for a planner", resp, body, 403, "forbidden")
	resp, body = do(t, "GET", base+"/api/reports/unit-stats?unit=12x", tok, "")
	wantError(t, "bad code", resp, body, 400, "invalid")
}

// capture records log records at every level.
type capture struct{ recs []slog.Record }

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.recs = append(c.recs, r)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }
