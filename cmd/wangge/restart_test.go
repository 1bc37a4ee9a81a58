package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/pglocal"
)

// Writes under load while PostgreSQL is restarted in the middle: the server
// answers 503 with Retry-After instead of crashing or hanging, recovers by
// itself, clients retry the same request, and the database ends up holding
// exactly what clients were told was accepted: nothing lost, nothing doubled.
// It runs its own PostgreSQL cluster, so the shared test cluster is untouched.
func TestRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a private PostgreSQL cluster")
	}
	dir := filepath.Join(t.TempDir(), "pgdata")
	cluster := pglocal.Cluster{Dir: dir, Port: freeTCPPort(t), Database: "wangge_restart"}
	ctx := context.Background()
	t.Cleanup(func() {
		_ = cluster.Stop(context.Background())
		if target, err := filepath.EvalSymlinks(dir); err == nil && target != dir {
			os.RemoveAll(target)
			os.Remove(target + ".lock")
		}
	})
	dsn, err := cluster.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", dsn)
	t.Setenv("WANGGE_LOG_LEVEL", "error")
	t.Setenv("WANGGE_DEMO_PASSWORD", "restart-test-password")
	var out, errb bytes.Buffer
	if code := run(ctx, "demo", []string{"--scale", "12", "--patrol-days", "0"}, &out, &errb); code != 0 {
		t.Fatalf("demo: %s", errb.String())
	}
	addr := freePort(t)
	sctx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	var serveLog lockedBuffer // the server writes it from its goroutines
	go func() { done <- run(sctx, "serve", []string{"--addr", addr}, &out, &serveLog) }()
	defer func() {
		if t.Failed() { // what the server said about the failed requests
			for _, line := range strings.Split(serveLog.String(), "\n") {
				if strings.Contains(line, "request failed") {
					t.Log(line)
				}
			}
		}
	}()
	defer func() {
		stop()
		<-done
	}()
	base := "http://" + addr
	token := waitLogin(t, base, "officer", "restart-test-password")

	// GPS workers upload back to back until a second after the last outage.
	const workers, maxBatches, perBatch = 4, 5000, 10
	var stopGPS atomic.Bool
	var gpsBatches atomic.Int64
	var (
		mu        sync.Mutex
		acked     = map[time.Time]bool{}
		unavail   atomic.Int64
		retryHdr  atomic.Int64
		transport atomic.Int64
		other     atomic.Int64
	)
	start := time.Now().Add(-72 * time.Hour).Truncate(time.Second) // room for 5000 batches before now
	client := &http.Client{Timeout: 20 * time.Second}
	began := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < maxBatches && !stopGPS.Load(); b++ {
				times := make([]time.Time, perBatch)
				var body strings.Builder
				body.WriteString(`{"points":[`)
				for i := range times {
					// Distinct times per worker, batch and fix: worker w owns second w of every 4.
					times[i] = start.Add(time.Duration((b*perBatch+i)*workers+w) * time.Second)
					if i > 0 {
						body.WriteByte(',')
					}
					fmt.Fprintf(&body, `{"t":%q,"lon":120.12,"lat":30.27}`, times[i].Format(time.RFC3339))
				}
				body.WriteString("]}")
				for attempt := 0; ; attempt++ {
					if attempt == 200 {
						t.Errorf("worker %d batch %d never accepted", w, b)
						return
					}
					req, _ := http.NewRequest("POST", base+"/api/patrol/points", strings.NewReader(body.String()))
					req.Header.Set("Authorization", "Bearer "+token)
					resp, err := client.Do(req)
					if err != nil {
						transport.Add(1)
						time.Sleep(100 * time.Millisecond)
						continue
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						mu.Lock()
						for _, tm := range times {
							acked[tm] = true
						}
						mu.Unlock()
						gpsBatches.Add(1)
						break
					}
					if resp.StatusCode == 503 {
						unavail.Add(1)
						if resp.Header.Get("Retry-After") != "" {
							retryHdr.Add(1)
						}
					} else {
						other.Add(1)
						t.Errorf("worker %d: status %d", w, resp.StatusCode)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	// Household imports from the same officer: each file is a new estate of
	// its own, sent with an Idempotency-Key and retried until accepted.
	const files, rowsPerFile = 12, 15
	lon, lat := pointInside(t, dsn, "officer")
	acceptedFiles := map[string]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for f := 0; f < files; f++ {
			estate := fmt.Sprintf("重启测试%02d小区", f)
			data := householdCSV(estate, lon, lat, rowsPerFile, f)
			for attempt := 0; ; attempt++ {
				if attempt == 200 {
					t.Errorf("import %s never accepted", estate)
					return
				}
				status, err := postImport(client, base, token, data, fmt.Sprintf("restart-import-%x", estate)) // header values are ASCII
				if err != nil {
					transport.Add(1)
				} else if status == 200 {
					mu.Lock()
					acceptedFiles[estate] = true
					mu.Unlock()
					break
				} else if status == 503 {
					unavail.Add(1)
					retryHdr.Add(1) // postImport fails the test itself when Retry-After is missing
				} else {
					other.Add(1)
					t.Errorf("import %s: status %d", estate, status)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}()

	// A planner moves a shared vertex of one grid back and forth in adjust
	// mode; each edit carries the version it read and an Idempotency-Key.
	const edits = 10
	planner := waitLogin(t, base, "planner", "restart-test-password")
	editCode, ring, version := gridRing(t, dsn, base, planner)
	acceptedEdits := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := 0; e < edits; e++ {
			moved := slices.Clone(ring)
			if e%2 == 0 {
				// About 1 m towards the ring's first vertex.
				moved[2] = [2]float64{moved[2][0] + (moved[0][0]-moved[2][0])*0.004, moved[2][1] + (moved[0][1]-moved[2][1])*0.004}
			}
			body, _ := json.Marshal(map[string]any{"geometry": map[string]any{"type": "Polygon", "coordinates": [][][2]float64{moved}},
				"version": version, "reason": "restart test"})
			for attempt := 0; ; attempt++ {
				if attempt == 200 {
					t.Errorf("edit %d never accepted", e)
					return
				}
				req, _ := http.NewRequest("PUT", base+"/api/grids/"+editCode+"?mode=adjust", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+planner)
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", fmt.Sprintf("restart-edit-%d", e))
				resp, err := client.Do(req)
				if err != nil {
					transport.Add(1)
					time.Sleep(100 * time.Millisecond)
					continue
				}
				msg, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acceptedEdits++
					mu.Unlock()
					version++
					break
				}
				if resp.StatusCode == 503 {
					unavail.Add(1)
					if resp.Header.Get("Retry-After") != "" {
						retryHdr.Add(1)
					}
				} else {
					other.Add(1)
					t.Errorf("edit %d: status %d %s", e, resp.StatusCode, msg)
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()

	// Two outages of about two seconds each while the workers write.
	faults := 0
	for i := 0; i < 2; i++ {
		time.Sleep(700 * time.Millisecond)
		if err := cluster.Stop(ctx); err != nil {
			t.Fatalf("stop: %v", err)
		}
		faults++
		time.Sleep(2 * time.Second)
		if _, err := cluster.Ensure(ctx); err != nil {
			t.Fatalf("restart: %v", err)
		}
	}
	time.Sleep(time.Second)
	stopGPS.Store(true)
	wg.Wait()
	elapsed := time.Since(began)

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var stored, distinct int
	err = conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT recorded_at) FROM patrol_points p JOIN users u ON u.id = p.user_id WHERE u.username = 'officer'`).Scan(&stored, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT recorded_at FROM patrol_points p JOIN users u ON u.id = p.user_id WHERE u.username = 'officer'`)
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[time.Time]bool{}
	for rows.Next() {
		var tm time.Time
		if err := rows.Scan(&tm); err != nil {
			t.Fatal(err)
		}
		inDB[tm.UTC()] = true
	}
	missing := 0
	for tm := range acked {
		if !inDB[tm.UTC()] {
			missing++
		}
	}
	accepted := gpsBatches.Load()
	t.Logf("faults injected %d; %d GPS batches accepted in %s (%.0f accepted writes/s, %.0f requests/s incl. 503s); 503 answers %d (with Retry-After %d), transport errors %d; accepted fixes %d, stored %d",
		faults, accepted, elapsed.Round(time.Millisecond), float64(accepted)/elapsed.Seconds(),
		float64(accepted+unavail.Load())/elapsed.Seconds(), unavail.Load(), retryHdr.Load(), transport.Load(), len(acked), stored)
	if int64(len(acked)) != accepted*perBatch || stored != len(acked) || distinct != stored || missing != 0 || accepted == 0 {
		t.Errorf("%d batches accepted = %d fixes acknowledged; stored %d (%d distinct), %d acknowledged but missing",
			accepted, len(acked), stored, distinct, missing)
	}
	if unavail.Load() == 0 || retryHdr.Load() != unavail.Load() {
		t.Errorf("%d 503 answers, %d with Retry-After: the outage was not reported as 503 + Retry-After", unavail.Load(), retryHdr.Load())
	}
	if transport.Load() != 0 {
		t.Errorf("%d requests failed at the transport: the server itself must stay up", transport.Load())
	}
	if other.Load() != 0 {
		t.Errorf("%d answers were neither 200 nor 503", other.Load())
	}
	var imported, estates int
	err = conn.QueryRow(ctx, `SELECT count(h.id), count(DISTINCT b.estate) FROM households h JOIN buildings b ON b.id = h.building_id
		WHERE b.estate LIKE '重启测试%'`).Scan(&imported, &estates)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("household imports: %d files accepted, %d households and %d estates stored", len(acceptedFiles), imported, estates)
	if len(acceptedFiles) != files || imported != files*rowsPerFile || estates != files {
		t.Errorf("imports: %d files accepted, %d households in %d estates stored; want %d files, %d households, %d estates",
			len(acceptedFiles), imported, estates, files, files*rowsPerFile, files)
	}
	var finalVersion, defects int
	if err := conn.QueryRow(ctx, `SELECT version FROM units WHERE code = $1`, editCode).Scan(&finalVersion); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM coverage_defects(NULL, 0.01)`).Scan(&defects); err != nil {
		t.Fatal(err)
	}
	t.Logf("boundary edits: %d accepted, grid %s at version %d, %d coverage defects", acceptedEdits, editCode, finalVersion, defects)
	if acceptedEdits != edits || finalVersion != 1+edits || defects != 0 {
		t.Errorf("edits: %d accepted, version %d, %d coverage defects; want %d, %d, 0", acceptedEdits, finalVersion, defects, edits, 1+edits)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("/readyz after recovery: %v %v", resp, err)
	}
}

// gridRing picks a basic grid the planner may edit and returns its code,
// outer ring and version.
func gridRing(t *testing.T, dsn, base, token string) (string, [][2]float64, int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var code string
	if err := conn.QueryRow(ctx, `SELECT code FROM units WHERE level = 4 AND kind = 'basic' ORDER BY code OFFSET 1 LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", base+"/api/grids/"+code, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f struct {
		Geometry struct {
			Coordinates [][][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Version int    `json:"version"`
			Kind    string `json:"kind"`
		} `json:"properties"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || len(f.Geometry.Coordinates) != 1 {
		t.Fatalf("grid %s: status %d, %v", code, resp.StatusCode, err)
	}
	return code, f.Geometry.Coordinates[0][0], f.Properties.Version
}

// pointInside is a point well inside the grid of user.
func pointInside(t *testing.T, dsn, user string) (float64, float64) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var x, y float64
	err = conn.QueryRow(ctx, `SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Buffer(g.geom::geography, -20)::geometry) p
		FROM units g JOIN users u ON u.unit_code = g.code WHERE u.username = $1) s`, user).Scan(&x, &y)
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

// householdCSV is an import file of n households in one new building of estate.
func householdCSV(estate string, lon, lat float64, n, seed int) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"小区", "楼栋", "单元", "室", "经度", "纬度", "户主", "身份证号", "联系电话", "人数", "标签"})
	for i := 0; i < n; i++ {
		_ = w.Write([]string{estate, "1栋", "1", fmt.Sprint(101 + i), fmt.Sprint(lon), fmt.Sprint(lat),
			"钱" + string(rune('一'+i)), residentID(seed*100 + i), "13900000000", "3", ""})
	}
	w.Flush()
	return b.Bytes()
}

// residentID is an 18-digit ID number with a correct check digit.
func residentID(n int) string {
	base := fmt.Sprintf("3301991985%02d%02d%03d", 1+n%12, 1+n%28, n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(base[i]-'0') * w
	}
	return base + string("10X98765432"[sum%11])
}

// postImport uploads one household file and returns the status; a 503
// without Retry-After is reported as an error.
func postImport(client *http.Client, base, token string, data []byte, key string) (int, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "households.csv")
	if err != nil {
		return 0, err
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/import/households", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
		return 0, fmt.Errorf("503 without Retry-After")
	}
	return resp.StatusCode, nil
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitLogin(t *testing.T, base, user, password string) string {
	t.Helper()
	for i := 0; i < 100; i++ {
		resp, err := http.Post(base+"/api/login", "application/json",
			strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, password)))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		var r struct{ Token string }
		err = json.NewDecoder(resp.Body).Decode(&r)
		resp.Body.Close()
		if err != nil || r.Token == "" {
			t.Fatalf("login %s: %d", user, resp.StatusCode)
		}
		return r.Token
	}
	t.Fatal("server never answered")
	return ""
}
