package lookup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/lookup"
	"wangge/internal/store"
	"wangge/static"
)

// Benchmarks run on a city-sized district: WANGGE_BENCH_DSN names a database
// already loaded with `wangge demo --scale 10000`; otherwise one is generated
// (WANGGE_BENCH_GRIDS grids, default 10,000; generating that many with their
// ~3.5 million households can exceed dbtest.Demo's 10-minute limit on a
// busy machine, so prefer WANGGE_BENCH_DSN for the full size).
var (
	benchOnce sync.Once
	benchPool *pgxpool.Pool
	benchSvc  *lookup.Service
	benchPts  []orb.Point
)

func benchSetup(b *testing.B) {
	b.Helper()
	benchOnce.Do(func() {
		ctx := context.Background()
		if dsn := os.Getenv("WANGGE_BENCH_DSN"); dsn != "" {
			pool, err := store.OpenPool(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			benchPool = pool
		} else {
			grids := 10000
			if v, err := strconv.Atoi(os.Getenv("WANGGE_BENCH_GRIDS")); err == nil && v > 0 {
				grids = v
			}
			benchPool, _ = dbtest.Demo(dbtest.Keep(b), demo.Options{Grids: grids, PatrolDays: -1})
		}
		benchSvc = lookup.New(store.New(benchPool), quiet)
		if err := benchSvc.Load(ctx); err != nil {
			b.Fatal(err)
		}
		var e [4]float64
		if err := benchPool.QueryRow(ctx, `SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM
			(SELECT ST_Extent(geom)::geometry x FROM units WHERE level = 4) y`).Scan(&e[0], &e[1], &e[2], &e[3]); err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 7))
		benchPts = make([]orb.Point, 100000)
		for i := range benchPts {
			benchPts[i] = orb.Point{e[0] + rng.Float64()*(e[2]-e[0]), e[1] + rng.Float64()*(e[3]-e[1])}
		}
	})
	if benchSvc == nil {
		b.Fatal("benchmark setup failed")
	}
}

// TestMain drops the benchmark database when the run ends.
func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	pointSQL = `SELECT min(code) FROM units WHERE level = 4 AND ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))`
	batchSQL = `SELECT p.i, (SELECT min(u.code) FROM units u WHERE u.level = 4 AND ST_Contains(u.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)))
FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS p(x, y, i)`
)

// BenchmarkLocate compares in-process lookups with PostGIS (GiST index) on
// the same random points: one query per point, and one query per batch of
// 10,000 points; it logs lookups per second and the ratios.
func BenchmarkLocate(b *testing.B) {
	benchSetup(b)
	ctx := context.Background()
	perPoint := map[string]float64{} // ns per point
	b.Run("index", func(b *testing.B) {
		rd, _ := benchSvc.Snapshot(ctx)
		for i := 0; b.Loop(); i++ {
			rd.Code(benchPts[i%len(benchPts)])
		}
		perPoint["index"] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(1e9/perPoint["index"], "lookups/s")
	})
	b.Run("index-lookup-with-distance", func(b *testing.B) {
		rd, _ := benchSvc.Snapshot(ctx)
		for i := 0; b.Loop(); i++ {
			rd.Brief(benchPts[i%len(benchPts)])
		}
		perPoint["brief"] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(1e9/perPoint["brief"], "lookups/s")
	})
	b.Run("postgis-per-point", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			p := benchPts[i%len(benchPts)]
			var code *string
			if err := benchPool.QueryRow(ctx, pointSQL, p[0], p[1]).Scan(&code); err != nil {
				b.Fatal(err)
			}
		}
		perPoint["postgis"] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(1e9/perPoint["postgis"], "lookups/s")
	})
	b.Run("postgis-batch-10000", func(b *testing.B) {
		const n = 10000
		xs, ys := make([]float64, n), make([]float64, n)
		for i, p := range benchPts[:n] {
			xs[i], ys[i] = p[0], p[1]
		}
		for b.Loop() {
			rows, err := benchPool.Query(ctx, batchSQL, xs, ys)
			if err != nil {
				b.Fatal(err)
			}
			got := 0
			for rows.Next() {
				got++
			}
			if rows.Err() != nil || got != n {
				b.Fatalf("%d rows, %v", got, rows.Err())
			}
		}
		perPoint["batch"] = float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
		b.ReportMetric(1e9/perPoint["batch"], "lookups/s")
	})
	if perPoint["index"] > 0 && perPoint["postgis"] > 0 && perPoint["batch"] > 0 {
		b.Logf("%d grids: index %.0f lookups/s; PostGIS per point %.0f/s (index is %.0f× faster), batched %.0f/s (index %.0f× faster)",
			benchSvc.Len(), 1e9/perPoint["index"], 1e9/perPoint["postgis"], perPoint["postgis"]/perPoint["index"],
			1e9/perPoint["batch"], perPoint["batch"]/perPoint["index"])
	}
}

// BenchmarkHTTPBatch100k posts 100,000 points as JSON to /api/locate and
// reads the streamed answer, end to end over loopback HTTP.
func BenchmarkHTTPBatch100k(b *testing.B) {
	benchSetup(b)
	ctx := context.Background()
	st := store.New(benchPool)
	if _, err := st.PutUser(ctx, benchPool, store.NewUser{Username: "bench-admin", Password: "bench-password-1", Role: "admin"}); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Options{Store: st, Lookup: benchSvc, Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/login", "application/json", bytes.NewReader([]byte(`{"username":"bench-admin","password":"bench-password-1"}`)))
	if err != nil {
		b.Fatal(err)
	}
	var tok struct{ Token string }
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		b.Fatalf("login: %s", body)
	}
	var req bytes.Buffer
	req.WriteString(`{"crs":"wgs84","points":[`)
	for i, p := range benchPts {
		if i > 0 {
			req.WriteByte(',')
		}
		fmt.Fprintf(&req, "[%.7f,%.7f]", p[0], p[1])
	}
	req.WriteString("]}")
	payload := req.Bytes()
	var out int64
	start := time.Now()
	for b.Loop() {
		r, _ := http.NewRequest("POST", srv.URL+"/api/locate", bytes.NewReader(payload))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
		out = n
	}
	b.ReportMetric(float64(b.N*len(benchPts))/time.Since(start).Seconds(), "points/s")
	b.ReportMetric(float64(out)/1e6, "MB-out")
}
