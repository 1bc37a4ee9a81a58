package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/apperr"
	"wangge/internal/dbtest"
	"wangge/internal/store"
)

// feedUnits inserts one district per writer (distinct rows, so writers never
// wait on each other's row locks) and returns the feed position after them.
func feedUnits(t *testing.T, pool *pgxpool.Pool, codes ...string) store.ChangeCursor {
	t.Helper()
	ctx := context.Background()
	for i, code := range codes {
		x := float64(i)
		if _, err := pool.Exec(ctx, `INSERT INTO units (code, level, name, kind, region_code, geom)
			VALUES ($1, 1, $2, 'admin', left($1, 6), ST_Multi(ST_MakeEnvelope($3::float8, 30, $3::float8 + 0.5, 30.5, 4326)))`,
			code, "district "+code, 120+x); err != nil {
			t.Fatal(err)
		}
	}
	all := drain(t, store.New(pool), store.ChangeCursor{}, "", 1000)
	if len(all) != len(codes) {
		t.Fatalf("setup: %d feed rows, want %d", len(all), len(codes))
	}
	cur, _ := store.ParseChangeCursor(all[len(all)-1].Cursor)
	return cur
}

// drain reads pages of limit until the feed has nothing more visible.
func drain(t *testing.T, st *store.Store, cur store.ChangeCursor, prefix string, limit int) []store.Change {
	t.Helper()
	var out []store.Change
	for {
		page, err := st.ChangesAfter(context.Background(), cur, store.ChangeFilter{Prefix: prefix, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < limit {
			return out
		}
		cur, _ = store.ParseChangeCursor(page[len(page)-1].Cursor)
	}
}

func unitName(t *testing.T, c store.Change) string {
	var p struct{ Name string }
	if err := json.Unmarshal(c.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Name
}

func begin(t *testing.T, pool *pgxpool.Pool) pgx.Tx {
	t.Helper()
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// A failed test must not leave the transaction holding its connection
	// (the pool's Close, and the database drop, would wait for it).
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

func rename(t *testing.T, q store.Querier, code, name string) {
	t.Helper()
	if _, err := q.Exec(context.Background(), `UPDATE units SET name = $2 WHERE code = $1`, code, name); err != nil {
		t.Fatal(err)
	}
}

// The hazard a seq cursor has: B takes seq 1, A seq 2, B seq 3 and commits,
// A commits later. A reader paging by seq alone would have passed 3 before
// 2 became visible and never see it. The feed holds B back while A (the
// older transaction) is open, and orders by (xid, seq), so every change
// arrives exactly once. (Without the horizon, this test fails at B3.)
func TestChangeFeedLateCommitIsNotSkipped(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	cur := feedUnits(t, pool, "330101000000", "330102000000")

	b := begin(t, pool)
	rename(t, b, "330101000000", "B1") // B gets its xid and seq first
	a := begin(t, pool)
	rename(t, a, "330102000000", "A1") // A: a later xid, the middle seq
	rename(t, b, "330101000000", "B2")
	if got := drain(t, st, cur, "", 10); len(got) != 0 {
		t.Fatalf("uncommitted changes visible: %d", len(got))
	}
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	first := drain(t, st, cur, "", 10)
	if len(first) != 2 || unitName(t, first[0]) != "B1" || unitName(t, first[1]) != "B2" {
		t.Fatalf("after B's commit: %+v", first)
	}
	cur, _ = store.ParseChangeCursor(first[1].Cursor)
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	second := drain(t, st, cur, "", 10)
	if len(second) != 1 || unitName(t, second[0]) != "A1" {
		t.Fatalf("A's change after its late commit: %+v", second)
	}
	if second[0].Seq > first[1].Seq {
		t.Fatalf("A's seq %d is after B's last %d: the test did not build the late commit", second[0].Seq, first[1].Seq)
	}

	// The other way round: the older transaction (A2) still open holds back
	// a newer one that committed.
	a = begin(t, pool)
	rename(t, a, "330102000000", "A2")
	b = begin(t, pool)
	rename(t, b, "330101000000", "B3")
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	cur, _ = store.ParseChangeCursor(second[0].Cursor)
	if got := drain(t, st, cur, "", 10); len(got) != 0 {
		t.Fatalf("B3 delivered while the older A2 is open: %+v", got)
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := drain(t, st, cur, "", 10)
	if len(got) != 2 || unitName(t, got[0]) != "A2" || unitName(t, got[1]) != "B3" {
		t.Fatalf("after A2: %+v", got)
	}
}

// Two writers commit concurrently while a third is killed mid-transaction;
// a reader polling all along in small pages sees every committed change
// exactly once, in each writer's commit order, and nothing of the killed one.
func TestChangeFeedConcurrentWritersAndACrash(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	codes := []string{"330101000000", "330102000000", "330103000000"}
	start := feedUnits(t, pool, codes...)

	const txns = 40
	committed := make([][]string, 2)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range txns {
				var names []string
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for j := range 1 + r.IntN(3) {
						name := fmt.Sprintf("w%d-%d-%d", w, i, j)
						if _, err := tx.Exec(ctx, `UPDATE units SET name = $2 WHERE code = $1`, codes[w], name); err != nil {
							return err
						}
						names = append(names, name)
						time.Sleep(time.Duration(r.IntN(2000)) * time.Microsecond)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				committed[w] = append(committed[w], names...)
			}
		}()
	}

	// The third writer: one change made, then its backend killed before it
	// commits (halfway through the others' work).
	killed := make(chan error, 1)
	go func() {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			killed <- err
			return
		}
		defer conn.Release()
		tx, err := conn.Begin(ctx)
		if err != nil {
			killed <- err
			return
		}
		if _, err := tx.Exec(ctx, `UPDATE units SET name = 'killed' WHERE code = $1`, codes[2]); err != nil {
			killed <- err
			return
		}
		var pid int
		if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			killed <- err
			return
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			killed <- err
			return
		}
		killed <- tx.Commit(ctx) // must fail: the backend is gone
	}()

	var seen []store.Change
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	cur := start
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := st.ChangesAfter(ctx, cur, store.ChangeFilter{Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			next, _ := store.ParseChangeCursor(c.Cursor)
			if next.XID < cur.XID || (next.XID == cur.XID && next.Seq <= cur.Seq) {
				t.Fatalf("cursor went back: %v after %v", next, cur)
			}
			cur = next
		}
		seen = append(seen, page...)
	}
	if err := <-killed; err == nil {
		t.Fatal("the killed transaction committed")
	}
	// Read on until every committed change has arrived: a terminated backend
	// can stay in pg_stat_activity a moment and hold the horizon (the feed is
	// then late, never wrong). Bounded by polls, not by a clock threshold.
	want := len(committed[0]) + len(committed[1])
	for poll := 0; poll < 500; poll++ {
		page := drain(t, st, cur, "", 7)
		if len(page) > 0 {
			cur, _ = store.ParseChangeCursor(page[len(page)-1].Cursor)
			seen = append(seen, page...)
		}
		n := 0
		for _, c := range seen {
			if c.ObjectID == codes[0] || c.ObjectID == codes[1] {
				n++
			}
		}
		if n >= want {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	got := map[string][]string{}
	for _, c := range seen {
		got[c.ObjectID] = append(got[c.ObjectID], unitName(t, c))
	}
	for w := range 2 {
		if strings.Join(got[codes[w]], ",") != strings.Join(committed[w], ",") {
			t.Errorf("writer %d: feed has %d changes, committed %d\nfeed:      %v\ncommitted: %v",
				w, len(got[codes[w]]), len(committed[w]), got[codes[w]], committed[w])
		}
	}
	if len(got[codes[2]]) != 0 {
		t.Errorf("the killed writer's change is in the feed: %v", got[codes[2]])
	}
	if len(committed[0]) < txns || len(committed[1]) < txns {
		t.Fatalf("writers committed %d and %d changes", len(committed[0]), len(committed[1]))
	}
}

// Scope and privacy: a reader scoped to one district sees only its rows;
// grid staff rows carry ids and the role, not the person's name or phone.
func TestChangeFeedScopeAndNoPersonalFields(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	cur := feedUnits(t, pool, "330101000000", "330102000000")
	if _, err := pool.Exec(ctx, `INSERT INTO grid_staff (unit_code, role, name, phone) VALUES ('330101000000', 'grid_worker', '张小明', '13800138000')`); err != nil {
		t.Fatal(err)
	}
	rename(t, pool, "330102000000", "other district")
	mine := drain(t, st, cur, "330101", 10)
	if len(mine) != 1 || mine[0].Type != "grid_staff" || mine[0].Op != "insert" || mine[0].Unit != "330101000000" {
		t.Fatalf("scoped feed: %+v", mine)
	}
	if p := string(mine[0].Payload); strings.Contains(p, "张小明") || strings.Contains(p, "13800138000") || !strings.Contains(p, `"role": "grid_worker"`) {
		t.Errorf("grid staff payload: %s", p)
	}
	if all := drain(t, st, cur, "", 10); len(all) != 2 {
		t.Errorf("unscoped feed: %d rows, want 2", len(all))
	}
}

// Retention: changes older than the kept window go in batches, oldest
// first; a cursor before the furthest deleted position is refused (410),
// one at or after it reads on, and the start of the feed reads what is kept.
func TestChangeFeedRetention(t *testing.T) {
	pool, _ := dbtest.New(t)
	st := store.New(pool)
	ctx := context.Background()
	feedUnits(t, pool, "330101000000", "330102000000", "330103000000", "330104000000")
	all := drain(t, st, store.ChangeCursor{}, "", 100)
	// The first three are 100 days old.
	if _, err := pool.Exec(ctx, `UPDATE change_feed SET at = now() - interval '100 days' WHERE seq <= $1`, all[2].Seq); err != nil {
		t.Fatal(err)
	}
	cutoff := time.Now().AddDate(0, 0, -90)
	if n, err := st.PurgeChanges(ctx, cutoff, 2); err != nil || n != 2 {
		t.Fatalf("first batch: %d, %v; want 2", n, err)
	}
	if n, err := st.PurgeChanges(ctx, cutoff, 2); err != nil || n != 1 {
		t.Fatalf("second batch: %d, %v; want 1", n, err)
	}
	if n, err := st.PurgeChanges(ctx, cutoff, 2); err != nil || n != 0 {
		t.Fatalf("nothing left to purge: %d, %v", n, err)
	}
	kept := drain(t, st, store.ChangeCursor{}, "", 100)
	if len(kept) != 1 || kept[0].Seq != all[3].Seq {
		t.Fatalf("kept %+v, want only the newest", kept)
	}
	for i, c := range all[:2] {
		cur, _ := store.ParseChangeCursor(c.Cursor)
		_, err := st.ChangesAfter(ctx, cur, store.ChangeFilter{Limit: 10})
		if !errors.Is(err, apperr.ErrGone) || !strings.Contains(err.Error(), "full copy") {
			t.Errorf("cursor %d before the horizon: %v, want 410 Gone", i, err)
		}
	}
	cur, _ := store.ParseChangeCursor(all[2].Cursor) // the furthest deleted: nothing after it is gone
	if page, err := st.ChangesAfter(ctx, cur, store.ChangeFilter{Limit: 10}); err != nil || len(page) != 1 || page[0].Seq != all[3].Seq {
		t.Errorf("cursor at the horizon: %+v, %v", page, err)
	}
}
