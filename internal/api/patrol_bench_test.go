package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"wangge/internal/api"
	"wangge/internal/dbtest"
	"wangge/internal/demo"
	"wangge/internal/store"
	"wangge/static"
)

// BenchmarkPatrolUploadHTTP posts batches of 1,000 fixes over HTTP from 4
// devices at once (POST /api/patrol/points: JSON parse, CRS, checks, one
// transaction each) and, in the same run, COPYs the same number of rows
// straight into patrol_points: the floor. It reports both rates and the
// ratio.
//
//	go test -run '^$' -bench PatrolUploadHTTP -benchtime 2x ./internal/api/
func BenchmarkPatrolUploadHTTP(b *testing.B) {
	pool, _ := dbtest.Demo(b, demo.Options{Grids: 8, PatrolDays: -1, Password: demoPassword})
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(pool), Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/api/login", "application/json", strings.NewReader(`{"username":"officer","password":"`+demoPassword+`"}`))
	if err != nil {
		b.Fatal(err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	var uid int64
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `SELECT id FROM users WHERE username = 'officer'`).Scan(&uid); err != nil {
		b.Fatal(err)
	}
	const devices, batches, per = 4, 25, 1000 // 100,000 fixes a run
	// Fixes one second apart from two days ago (uploads accept 30 days back).
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	bodies := make([]string, devices*batches)
	for k := range bodies {
		var sb strings.Builder
		sb.WriteString(`{"crs":"gcj02","points":[`)
		for i := 0; i < per; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			at := base.Add(time.Duration(k*per+i) * time.Second)
			fmt.Fprintf(&sb, `{"t":%q,"lon":%.7f,"lat":%.7f,"accuracy_m":5,"speed_mps":1.2}`, at.Format(time.RFC3339), 120.1+float64(i)*1e-5, 30.2+float64(k)*1e-5)
		}
		sb.WriteString(`]}`)
		bodies[k] = sb.String()
	}
	var httpT, copyT time.Duration
	total := 0
	for n := 0; n < b.N; n++ {
		if _, err := pool.Exec(ctx, `DELETE FROM patrol_points WHERE user_id = $1`, uid); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, devices)
		for d := 0; d < devices; d++ {
			wg.Add(1)
			go func(d int) {
				defer wg.Done()
				for k := d * batches; k < (d+1)*batches; k++ {
					req, _ := http.NewRequest("POST", srv.URL+"/api/patrol/points", strings.NewReader(bodies[k]))
					req.Header.Set("Authorization", "Bearer "+tok.Token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						errs <- err
						return
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						errs <- fmt.Errorf("%d %s", resp.StatusCode, out)
						return
					}
				}
			}(d)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		httpT += time.Since(t0)
		total += devices * batches * per

		// The floor: the same count of rows by one bare COPY, 10 days back.
		if _, err := pool.Exec(ctx, `SELECT ensure_patrol_partitions(current_date - 12, current_date - 8)`); err != nil {
			b.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `DELETE FROM patrol_points WHERE user_id = 0`); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		i, from := 0, base.Add(-10*24*time.Hour)
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"patrol_points"}, []string{"region_code", "user_id", "recorded_at", "pt", "accuracy_m", "speed_mps"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if i == devices*batches*per {
					return nil, nil
				}
				pt, err := ewkb.Marshal(orb.Point{120.1 + float64(i%per)*1e-5, 30.2}, 4326)
				i++
				return []any{"330199", int64(0), from.Add(time.Duration(i) * time.Second), pt, float32(5), float32(1.2)}, err
			}))
		if err != nil {
			b.Fatal(err)
		}
		copyT += time.Since(t0)
	}
	rate := func(d time.Duration) float64 { return float64(total) / d.Seconds() }
	b.ReportMetric(rate(httpT), "http_fixes/s")
	b.ReportMetric(rate(copyT), "bare_copy_fixes/s")
	b.ReportMetric(copyT.Seconds()/httpT.Seconds(), "http/bare")
	fmt.Printf("upload of %d fixes: HTTP %.0f/s, bare COPY %.0f/s, ratio %.2f\n", total, rate(httpT), rate(copyT), copyT.Seconds()/httpT.Seconds())
}
