package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/incidents"
	"wangge/internal/store"
	"wangge/static"
)

func benchLogin(b *testing.B, base, user string) string {
	b.Helper()
	resp, err := http.Post(base+"/api/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+demoPassword+`"}`))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.Token == "" {
		b.Fatalf("login %s: %d %v", user, resp.StatusCode, err)
	}
	return tok.Token
}

func benchDo(method, u, tok, body string, want int) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, out)
	}
	return nil
}

// parallel runs f(i) for i in [0, n) on workers goroutines; the first error wins.
func parallel(workers, n int, f func(i int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := f(i); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// BenchmarkIncidentReportHTTP files 2,000 field reports over HTTP from 8
// devices at once (POST /api/incidents: JSON, checks, CRS, placement, the
// deadline on the calendar, the history entry and audit line, one
// transaction each) and, in the same run, the floor: the same 2,000 rows by
// bare single-row INSERTs from 8 connections (same table, same triggers,
// nothing else). It reports both rates and their ratio.
//
//	go test -run '^$' -bench IncidentReportHTTP -benchtime 1x ./internal/api/
func BenchmarkIncidentReportHTTP(b *testing.B) {
	pool, _ := dbtest.Demo(b, demo.Options{Grids: 20, PatrolDays: -1, Password: demoPassword})
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	tok := benchLogin(b, srv.URL, "officer")
	ctx := context.Background()
	var uid int64
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT u.id, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM users u JOIN units g ON g.code = u.unit_code WHERE u.username = 'officer'`).Scan(&uid, &lon, &lat); err != nil {
		b.Fatal(err)
	}
	const workers, n = 8, 2000
	at := time.Now().Add(-time.Hour)
	var httpT, sqlT time.Duration
	for r := 0; r < b.N; r++ {
		if _, err := pool.Exec(ctx, `DELETE FROM incidents WHERE source <> 'demo'`); err != nil {
			b.Fatal(err)
		}
		bodies := make([]string, n)
		for i := range bodies {
			bodies[i] = reportBody(fmt.Sprintf("%08x-0000-4000-8000-%012d", r, i), "sanitation.litter",
				lon+float64(i%50)*1e-6, lat, "wgs84", fmt.Sprintf("基准 bench %d", i), at)
		}
		t0 := time.Now()
		if err := parallel(workers, n, func(i int) error { return benchDo("POST", srv.URL+"/api/incidents", tok, bodies[i], 201) }); err != nil {
			b.Fatal(err)
		}
		httpT += time.Since(t0)
		t0 = time.Now()
		err := parallel(workers, n, func(i int) error {
			_, err := pool.Exec(ctx, `INSERT INTO incidents (client_id, region_code, type, category, title, description, pt, reported_by, reported_at, status, source)
                VALUES ($1::uuid, '330199', 'routine', 'sanitation.litter', '垃圾堆放', $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, 'reported', 'field')`,
				fmt.Sprintf("%08x-0000-4000-9000-%012d", r, i), fmt.Sprintf("基准 bench %d", i), lon+float64(i%50)*1e-6, lat, uid, at)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		sqlT += time.Since(t0)
	}
	total := float64(n * b.N)
	b.ReportMetric(total/httpT.Seconds(), "http_reports/s")
	b.ReportMetric(total/sqlT.Seconds(), "bare_insert_rows/s")
	b.ReportMetric(httpT.Seconds()/sqlT.Seconds(), "http_time/bare_time")
	fmt.Printf("report ingest of %d cases: HTTP %.0f/s, bare INSERT %.0f/s, HTTP takes %.2f× the bare time\n",
		int(total), total/httpT.Seconds(), total/sqlT.Seconds(), httpT.Seconds()/sqlT.Seconds())
}

// fillCases adds n cases spread over every grid, a third of them closed, in
// one statement (grid given, so placement is by code, not by point).
func fillCases(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	_, err := pool.Exec(context.Background(), `
        WITH g AS (SELECT array_agg(code ORDER BY code) AS codes, array_agg(ST_PointOnSurface(geom) ORDER BY code) AS pts FROM units WHERE level = 4)
        INSERT INTO incidents (client_id, region_code, grid_code, type, category, title, pt, reported_at, status, due_at, source)
        SELECT gen_random_uuid(), '330199', g.codes[1 + s % cardinality(g.codes)], 'routine', 'sanitation.litter', '基准',
               g.pts[1 + s % cardinality(g.codes)], now() - (s % 86400) * interval '1 minute',
               (ARRAY['reported', 'accepted', 'dispatched', 'closed', 'closed', 'handled', 'invalid'])[1 + s % 7],
               now() + (s % 100) * interval '1 hour', 'demo'
        FROM g, generate_series(1, $1) s`, n)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `ANALYZE incidents`); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIncidentGridListAmongMillion lists one grid's open cases (the
// newest 100, GET /api/incidents?grid=&state=open) among 1,000,000 cases
// over HTTP and, in the same run, the same page by its plain SQL on the
// pool: the floor. Reports p50 and p99 of both and the ratios.
//
//	go test -run '^$' -bench IncidentGridListAmongMillion -benchtime 1x -timeout 30m ./internal/api/
func BenchmarkIncidentGridListAmongMillion(b *testing.B) {
	pool, _ := dbtest.Demo(b, demo.Options{Grids: 50, PatrolDays: -1, Password: demoPassword})
	fillCases(b, pool, 1_000_000)
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	tok := benchLogin(b, srv.URL, "admin")
	ctx := context.Background()
	var grids []string
	rows, _ := pool.Query(ctx, `SELECT code FROM units WHERE level = 4 ORDER BY code`)
	for rows.Next() {
		var c string
		_ = rows.Scan(&c)
		grids = append(grids, c)
	}
	rows.Close()
	const reqs = 400
	plain := `SELECT i.id FROM incidents i WHERE i.grid_code = $1 AND i.status NOT IN ('closed', 'invalid')
        ORDER BY i.reported_at DESC, i.id DESC LIMIT 100`
	pct := func(d []time.Duration, p float64) time.Duration {
		slices.Sort(d)
		return d[min(len(d)-1, int(float64(len(d))*p))]
	}
	var httpD, sqlD []time.Duration
	for r := 0; r < b.N; r++ {
		for i := 0; i < reqs; i++ {
			g := grids[i%len(grids)]
			t0 := time.Now()
			if err := benchDo("GET", srv.URL+"/api/incidents?grid="+g+"&state=open&limit=100", tok, "", 200); err != nil {
				b.Fatal(err)
			}
			httpD = append(httpD, time.Since(t0))
			t0 = time.Now()
			rows, err := pool.Query(ctx, plain, g)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			sqlD = append(sqlD, time.Since(t0))
		}
	}
	h50, h99, s50, s99 := pct(httpD, .5), pct(httpD, .99), pct(sqlD, .5), pct(sqlD, .99)
	b.ReportMetric(float64(h99.Microseconds())/1000, "http_p99_ms")
	b.ReportMetric(float64(s99.Microseconds())/1000, "sql_p99_ms")
	b.ReportMetric(h99.Seconds()/s99.Seconds(), "p99_http/sql")
	fmt.Printf("one grid's open cases among 1,000,000 (%d grids): HTTP p50 %v p99 %v; plain SQL p50 %v p99 %v; ratios p50 %.1f, p99 %.1f\n",
		len(grids), h50, h99, s50, s99, h50.Seconds()/s50.Seconds(), h99.Seconds()/s99.Seconds())
}

// BenchmarkIncidentReportBatchHTTP files 8,192 field reports over HTTP as
// phones back online do, in batches from 4 devices at once (POST
// /api/incidents/batch: the single route's checks and writes, one
// transaction a batch), at 64 reports a batch and at the limit, and, in the
// same run, two floors by plain SQL from 4 connections (same table, same
// triggers, nothing else): the same rows by single-row INSERTs, a batch to a
// transaction, and by one multi-row INSERT a batch. It reports the rates and
// their ratios.
//
//	go test -run '^$' -bench IncidentReportBatchHTTP -benchtime 1x ./internal/api/
func BenchmarkIncidentReportBatchHTTP(b *testing.B) {
	pool, _ := dbtest.Demo(b, demo.Options{Grids: 20, PatrolDays: -1, Password: demoPassword})
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	tok := benchLogin(b, srv.URL, "officer")
	ctx := context.Background()
	var uid int64
	var lon, lat float64
	if err := pool.QueryRow(ctx, `SELECT u.id, ST_X(ST_PointOnSurface(g.geom)), ST_Y(ST_PointOnSurface(g.geom))
        FROM users u JOIN units g ON g.code = u.unit_code WHERE u.username = 'officer'`).Scan(&uid, &lon, &lat); err != nil {
		b.Fatal(err)
	}
	const insertRow = `INSERT INTO incidents (client_id, region_code, type, category, title, description, pt, reported_by, reported_at, status, source)
        VALUES ($1::uuid, '330199', 'routine', 'sanitation.litter', '垃圾堆放', $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, 'reported', 'field')`
	const insertRows = `INSERT INTO incidents (client_id, region_code, type, category, title, description, pt, reported_by, reported_at, status, source)
        SELECT id, '330199', 'routine', 'sanitation.litter', '垃圾堆放', d, ST_SetSRID(ST_MakePoint(x, y), 4326), $5, $6, 'reported', 'field'
        FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[]) AS r(id, d, x, y)`
	for _, size := range []int{64, incidents.MaxBatch} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			const workers, reports = 4, 8192
			batches := reports / size
			at := time.Now().Add(-time.Hour)
			var httpT, rowT, multiT time.Duration
			for r := 0; r < b.N; r++ {
				if _, err := pool.Exec(ctx, `DELETE FROM incidents WHERE source <> 'demo'`); err != nil {
					b.Fatal(err)
				}
				bodies := make([]string, batches)
				for k := range bodies {
					rs := make([]string, size)
					for i := range rs {
						rs[i] = reportBody(fmt.Sprintf("%08x-%04x-4000-8000-%06d%06d", r, size, k, i), "sanitation.litter",
							lon+float64(i%50)*1e-6, lat, "wgs84", fmt.Sprintf("基准 bench %d", i), at)
					}
					bodies[k] = `{"reports":[` + strings.Join(rs, ",") + `]}`
				}
				t0 := time.Now()
				if err := parallel(workers, batches, func(k int) error {
					return benchDo("POST", srv.URL+"/api/incidents/batch", tok, bodies[k], 200)
				}); err != nil {
					b.Fatal(err)
				}
				httpT += time.Since(t0)
				if n := countRows(b, pool, `SELECT count(*) FROM incidents WHERE source = 'field'`); n != reports {
					b.Fatalf("HTTP batches stored %d cases, want %d", n, reports)
				}
				row := func(floor string, k, i int) (string, string, float64) {
					return fmt.Sprintf("%08x-%04x-4000-%s-%06d%06d", r, size, floor, k, i), fmt.Sprintf("基准 bench %d", i), lon + float64(i%50)*1e-6
				}
				t0 = time.Now()
				if err := parallel(workers, batches, func(k int) error {
					tx, err := pool.Begin(ctx)
					if err != nil {
						return err
					}
					defer tx.Rollback(ctx)
					for i := 0; i < size; i++ {
						id, d, x := row("9000", k, i)
						if _, err := tx.Exec(ctx, insertRow, id, d, x, lat, uid, at); err != nil {
							return err
						}
					}
					return tx.Commit(ctx)
				}); err != nil {
					b.Fatal(err)
				}
				rowT += time.Since(t0)
				t0 = time.Now()
				if err := parallel(workers, batches, func(k int) error {
					ids, ds, xs, ys := make([]string, size), make([]string, size), make([]float64, size), make([]float64, size)
					for i := range ids {
						ids[i], ds[i], xs[i] = row("a000", k, i)
						ys[i] = lat
					}
					_, err := pool.Exec(ctx, insertRows, ids, ds, xs, ys, uid, at)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				multiT += time.Since(t0)
			}
			total := float64(reports * b.N)
			b.ReportMetric(total/httpT.Seconds(), "http_reports/s")
			b.ReportMetric(total/rowT.Seconds(), "bare_insert_rows/s")
			b.ReportMetric(total/multiT.Seconds(), "multirow_insert_rows/s")
			b.ReportMetric(httpT.Seconds()/rowT.Seconds(), "http_time/bare_time")
			b.ReportMetric(httpT.Seconds()/multiT.Seconds(), "http_time/multirow_time")
			fmt.Printf("batch report ingest of %d cases (%d a batch, %d devices): HTTP %.0f/s; plain SQL: single-row INSERTs %.0f/s (HTTP takes %.2f× their time), one multi-row INSERT a batch %.0f/s (%.2f×)\n",
				int(total), size, workers, total/httpT.Seconds(), total/rowT.Seconds(), httpT.Seconds()/rowT.Seconds(),
				total/multiT.Seconds(), httpT.Seconds()/multiT.Seconds())
		})
	}
}

func countRows(b *testing.B, pool *pgxpool.Pool, sql string) int {
	b.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
