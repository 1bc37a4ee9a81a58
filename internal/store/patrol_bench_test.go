package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"wangge/internal/dbtest"
	"wangge/internal/ingest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// workers inserts n patrol accounts and returns their ids.
func workers(tb testing.TB, pool *pgxpool.Pool, n int) []int64 {
	tb.Helper()
	rows, err := pool.Query(context.Background(), `
INSERT INTO users (username, password_hash, role) SELECT 'w' || i, 'x', 'officer' FROM generate_series(1, $1) i RETURNING id`, n)
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// fleet is perWorker fixes every 10 s for each worker, from start.
func fleet(ids []int64, start time.Time, perWorker int, r *rand.Rand) []store.BulkFix {
	out := make([]store.BulkFix, 0, len(ids)*perWorker)
	acc := float32(5)
	for _, id := range ids {
		p := orb.Point{120.1 + r.Float64()*0.05, 30.2 + r.Float64()*0.05}
		for i := 0; i < perWorker; i++ {
			p[0] += (r.Float64() - 0.5) * 2e-4
			p[1] += (r.Float64() - 0.5) * 2e-4
			out = append(out, store.BulkFix{Region: "330199", UserID: id,
				Fix: ingest.Fix{At: start.Add(time.Duration(i) * 10 * time.Second), Point: seven(p), AccuracyM: &acc}})
		}
	}
	return out
}

func TestCopyFixesStoresOnceAndMarksDays(t *testing.T) {
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	st := store.New(pool)
	ids := workers(t, pool, 3)
	start := time.Date(2026, 11, 20, 23, 50, 0, 0, workcal.CST) // across midnight
	fixes := fleet(ids, start, 120, rand.New(rand.NewSource(1)))
	n, err := st.CopyFixes(ctx, fixes)
	if err != nil || n != 360 {
		t.Fatalf("copy: %d %v", n, err)
	}
	// Again, reversed and with a duplicate inside: nothing new.
	again := append([]store.BulkFix{fixes[0]}, fixes...)
	for i, j := 0, len(again)-1; i < j; i, j = i+1, j-1 {
		again[i], again[j] = again[j], again[i]
	}
	if n, err := st.CopyFixes(ctx, again); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
	var x, y float64
	if err := pool.QueryRow(ctx, `SELECT ST_X(pt), ST_Y(pt) FROM patrol_points WHERE user_id = $1 AND recorded_at = $2`, ids[1], fixes[130].At).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	if x != fixes[130].Point[0] || y != fixes[130].Point[1] {
		t.Errorf("stored %v,%v want %v", x, y, fixes[130].Point)
	}
	var marks int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM patrol_dirty`).Scan(&marks); err != nil || marks != 6 {
		t.Errorf("%d worker-days marked, want 3 workers × 2 days (%v)", marks, err)
	}
}

// BenchmarkPatrolIngest loads the same fleet of fixes three ways in each
// run, each into its own fresh day: a bare COPY straight into patrol_points
// (the floor: no duplicate check, no marks), CopyFixes (COPY to a stage, then
// INSERT … ON CONFLICT and the sweep marks), and AddFixes in batches of 600
// per worker (the HTTP upload's store path). It reports fixes/s of each and
// their ratio to the bare COPY.
//
//	go test -run '^$' -bench PatrolIngest -benchtime 3x ./internal/store/
func BenchmarkPatrolIngest(b *testing.B) {
	pool, _ := dbtest.New(b)
	ctx := context.Background()
	st := store.New(pool)
	ids := workers(b, pool, 200)
	const perWorker = 1000 // 200k fixes a way
	r := rand.New(rand.NewSource(1))
	day := time.Date(2026, 6, 1, 8, 0, 0, 0, workcal.CST)
	var bare, staged, unnest time.Duration
	total := 0
	for i := 0; i < b.N; i++ {
		days := [3]time.Time{day.AddDate(0, 0, 3*i), day.AddDate(0, 0, 3*i+1), day.AddDate(0, 0, 3*i+2)}
		if _, err := pool.Exec(ctx, `SELECT ensure_patrol_partitions($1::date, $2::date)`, days[0].Format(time.DateOnly), days[2].AddDate(0, 0, 1).Format(time.DateOnly)); err != nil {
			b.Fatal(err)
		}
		f0, f1, f2 := fleet(ids, days[0], perWorker, r), fleet(ids, days[1], perWorker, r), fleet(ids, days[2], perWorker, r)
		total += len(f0)

		t0 := time.Now()
		k := 0
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"patrol_points"}, []string{"region_code", "user_id", "recorded_at", "pt", "accuracy_m", "speed_mps"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if k == len(f0) {
					return nil, nil
				}
				f := f0[k]
				k++
				pt, err := ewkb.Marshal(f.Point, 4326)
				return []any{f.Region, f.UserID, f.At, pt, f.AccuracyM, f.SpeedMPS}, err
			}))
		if err != nil {
			b.Fatal(err)
		}
		bare += time.Since(t0)

		t0 = time.Now()
		if n, err := st.CopyFixes(ctx, f1); err != nil || n != len(f1) {
			b.Fatalf("copy fixes: %d %v", n, err)
		}
		staged += time.Since(t0)

		t0 = time.Now()
		for w := range ids {
			for j := 0; j < perWorker; j += 600 {
				batch := make([]ingest.Fix, 0, 600)
				for _, f := range f2[w*perWorker+j : min(w*perWorker+j+600, (w+1)*perWorker)] {
					batch = append(batch, f.Fix)
				}
				if _, err := st.AddFixes(ctx, "330199", ids[w], batch); err != nil {
					b.Fatal(err)
				}
			}
		}
		unnest += time.Since(t0)
	}
	rate := func(d time.Duration) float64 { return float64(total) / d.Seconds() }
	b.ReportMetric(rate(bare), "bare_copy_fixes/s")
	b.ReportMetric(rate(staged), "copyfixes_fixes/s")
	b.ReportMetric(rate(unnest), "addfixes_fixes/s")
	b.ReportMetric(bare.Seconds()/staged.Seconds(), "copyfixes/bare")
	b.ReportMetric(bare.Seconds()/unnest.Seconds(), "addfixes/bare")
	fmt.Printf("ingest of %d fixes a way: bare COPY %.0f/s, CopyFixes %.0f/s (%.2f×), AddFixes %.0f/s (%.2f×)\n",
		total, rate(bare), rate(staged), bare.Seconds()/staged.Seconds(), rate(unnest), bare.Seconds()/unnest.Seconds())
}

func TestConcurrentSameUploadStoresOnce(t *testing.T) {
	pool, _ := dbtest.New(t)
	ctx := context.Background()
	st := store.New(pool)
	ids := workers(t, pool, 1)
	var batch []ingest.Fix
	for _, f := range fleet(ids, time.Date(2026, 11, 21, 9, 0, 0, 0, workcal.CST), 2000, rand.New(rand.NewSource(2))) {
		batch = append(batch, f.Fix)
	}
	for round := 0; round < 5; round++ {
		if _, err := pool.Exec(ctx, `DELETE FROM patrol_points`); err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 4)
		for g := 0; g < 4; g++ {
			go func() {
				n, err := st.AddFixes(ctx, "330199", ids[0], batch)
				if err != nil {
					t.Error(err)
				}
				done <- n
			}()
		}
		total := 0
		for g := 0; g < 4; g++ {
			total += <-done
		}
		var stored int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM patrol_points`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if total != len(batch) || stored != len(batch) {
			t.Fatalf("round %d: uploads report %d new, %d stored, want %d", round, total, stored, len(batch))
		}
	}
}
