package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"wangge/internal/api"
	"wangge/internal/store"
	"wangge/static"
)

// TestCancelledStatsRequestsAreNotErrors: a leader's statistics request whose
// client went away before it was served, or goes away while its query waits
// (the kept counts locked by another transaction), is answered 499, not 500,
// and logged at debug only — for every statistics route of the big screen and
// the card.
func TestCancelledStatsRequestsAreNotErrors(t *testing.T) {
	demoServer(t)
	logs := &capture{}
	h := api.New(api.Options{Store: store.New(demoPool), Static: static.FS, Logger: slog.New(logs)}).Handler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	tok := tokenFor(t, srv.URL, "leader")
	var district string
	if err := demoPool.QueryRow(context.Background(), `SELECT code FROM units WHERE level = 1 ORDER BY code LIMIT 1`).Scan(&district); err != nil {
		t.Fatal(err)
	}
	// Gone before it was served.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/reports/grid-counts", nil).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+tok)
	logs.recs = nil
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 && rec.Code != 499 {
		t.Fatalf("cancelled request answered %d %s", rec.Code, rec.Body)
	}
	for _, r := range logs.recs {
		if r.Level > slog.LevelDebug {
			t.Errorf("cancelled request logged at %s: %s", r.Level, r.Message)
		}
	}
	for _, path := range []string{"/api/reports/unit-stats?unit=" + district, "/api/reports/unit-stats",
		"/api/reports/grid-counts?parent=" + district, "/api/reports/grid-counts?limit=5&parent=" + district} {
		// Another transaction holds the kept counts, so the request's query waits until it is cancelled.
		lock, err := demoPool.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lock.Exec(context.Background(), `LOCK TABLE unit_stat_deltas IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		logs.recs = nil
		ctx, cancel := context.WithCancel(context.Background())
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil).WithContext(ctx)
		req.Header.Set("Authorization", "Bearer "+tok)
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
			t.Fatalf("%s answered %d while the counts were locked: %s", path, rec.Code, rec.Body)
		case <-time.After(300 * time.Millisecond):
		}
		cancel()
		<-done
		if err := lock.Rollback(context.Background()); err != nil {
			t.Fatal(err)
		}
		if rec.Code != 499 {
			t.Errorf("%s cancelled: answered %d %s, want 499", path, rec.Code, rec.Body)
		}
		if len(logs.recs) == 0 {
			t.Errorf("%s cancelled: nothing logged at debug", path)
		}
		for _, r := range logs.recs {
			if r.Level > slog.LevelDebug {
				t.Errorf("%s cancelled: logged at %s: %s", path, r.Level, r.Message)
			}
		}
	}
}
