package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"wangge/internal/api"
	"wangge/internal/changes"
	"wangge/internal/store"
	"wangge/static"
)

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics are not Prometheus text: %v", err)
	}
	return fams
}

// value of the family's series whose labels include want; -1 when absent.
func value(f *dto.MetricFamily, want map[string]string) float64 {
	if f == nil {
		return -1
	}
series:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestMetricsShowTheRequestJustMade(t *testing.T) {
	demoServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	hub := &changes.Hub{}
	ready, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); hub.Listen(ctx, demoPool.Config().ConnString(), quiet, ready) }()
	defer func() { cancel(); <-done }()
	<-ready
	srv := api.New(api.Options{Store: store.New(demoPool), Changes: hub, Static: static.FS, Logger: quiet})
	pub := httptest.NewServer(srv.Handler())
	defer pub.Close()
	mon := httptest.NewServer(srv.MetricsHandler())
	defer mon.Close()

	token := tokenFor(t, pub.URL, "planner")
	if resp, body := do(t, "GET", pub.URL+"/api/grids/330199001001001", token, ""); resp.StatusCode != 200 {
		t.Fatalf("grid: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", pub.URL+"/api/grids/330199001001999", token, ""); resp.StatusCode != 404 {
		t.Fatalf("missing grid: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", pub.URL+"/api/login", "", `{"username":"nobody-metrics","password":"wrong"}`); resp.StatusCode != 401 {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}
	if resp, body := do(t, "GET", pub.URL+"/api/locate?lon=120.1&lat=30.2", token, ""); resp.StatusCode != 200 {
		t.Fatalf("locate: %d %s", resp.StatusCode, body)
	}
	// Not on the public listener.
	if resp, _ := get(t, pub.URL+"/metrics"); resp.StatusCode == 200 {
		t.Errorf("/metrics is served on the public address")
	}

	fams := scrape(t, mon.URL+"/metrics")
	req := fams["wangge_http_requests_total"]
	if v := value(req, map[string]string{"method": "GET", "route": "/api/grids/:code", "status": "200"}); v != 1 {
		t.Errorf("GET /api/grids/:code 200 counted %v times, want 1", v)
	}
	if v := value(req, map[string]string{"method": "GET", "route": "/api/grids/:code", "status": "404"}); v != 1 {
		t.Errorf("GET /api/grids/:code 404 counted %v times, want 1", v)
	}
	if v := value(fams["wangge_http_request_duration_seconds"], map[string]string{"method": "GET", "route": "/api/grids/:code"}); v != 2 {
		t.Errorf("latency histogram holds %v samples, want 2", v)
	}
	if v := value(fams["wangge_login_failures_total"], nil); v != 1 {
		t.Errorf("failed logins %v, want 1", v)
	}
	if v := value(fams["wangge_db_pool_max_connections"], nil); v < 8 {
		t.Errorf("pool max connections %v", v)
	}
	if v := value(fams["wangge_db_pool_acquires_total"], nil); v < 1 {
		t.Errorf("pool acquires %v", v)
	}
	if v := value(fams["wangge_job_queue_available"], nil); v < 0 {
		t.Errorf("no job queue depth")
	}
	if v := value(fams["wangge_tile_cache_events_total"], map[string]string{"event": "miss"}); v < 0 {
		t.Errorf("no tile cache counters")
	}
	var grids float64
	if err := demoPool.QueryRow(ctx, `SELECT count(*) FROM units WHERE level = 4`).Scan(&grids); err != nil {
		t.Fatal(err)
	}
	if v := value(fams["wangge_lookup_grids"], nil); v != grids {
		t.Errorf("wangge_lookup_grids %v, the database has %v grids", v, grids)
	}
	if v := value(fams["wangge_lookup_loaded_timestamp_seconds"], nil); v < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("wangge_lookup_loaded_timestamp_seconds %v: the index was loaded by the locate just made", v)
	}
	for _, consumer := range []string{"map", "lookup"} {
		// A real round trip through NOTIFY takes some time, never none.
		if v := value(fams["wangge_change_lag_seconds"], map[string]string{"consumer": consumer}); v <= 0 {
			t.Errorf("wangge_change_lag_seconds{consumer=%q} = %v", consumer, v)
		}
	}
}

// The request id reaches the database session: the connection the login
// query used is named after the request in pg_stat_activity.
func TestRequestIDInApplicationName(t *testing.T) {
	demoServer(t)
	srv := httptest.NewServer(api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: quiet}).Handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/login", strings.NewReader(`{"username":"nobody-trace","password":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "trace-me-4711")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A connection of its own: one from the pool would be renamed on acquire.
	conn, err := pgx.Connect(context.Background(), demoPool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'wangge req=trace-me-4711'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no database session carries the request id")
	}
}
