package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"wangge/internal/dbtest"
	"wangge/internal/jobs"
)

// recorder is a sweeper that remembers every moment it was asked to sweep as of.
type recorder struct {
	mu    sync.Mutex
	asOf  []time.Time
	fails int // the first calls fail, as a crashed sweep would
	seen  chan time.Time
}

func (r *recorder) Sweep(_ context.Context, asOf time.Time) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails > 0 {
		r.fails--
		return 0, errors.New("sweep failed")
	}
	r.asOf = append(r.asOf, asOf)
	r.seen <- asOf
	return 1, nil
}

// TestTimersRunSweeps: a periodic timer sweeps on start, and a sweep
// enqueued for a given moment runs as of that moment, retried after a
// failure (River's retry), through the real queue in PostgreSQL.
func TestTimersRunSweeps(t *testing.T) {
	pool, _ := dbtest.New(t)
	periodic := &recorder{seen: make(chan time.Time, 16)}
	later := &recorder{seen: make(chan time.Time, 16), fails: 1}
	r, err := jobs.New(pool, nil,
		jobs.Timer{Name: "periodic", Every: time.Hour, Sweeper: periodic},
		jobs.Timer{Name: "later", Every: 24 * time.Hour, Sweeper: later})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	before := time.Now()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stop, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = r.Stop(stop)
	}()

	select {
	case at := <-periodic.seen:
		if at.Before(before.Add(-time.Second)) {
			t.Errorf("periodic sweep as of %v, before the runner started (%v)", at, before)
		}
	case <-ctx.Done():
		t.Fatal("the periodic timer never swept on start")
	}

	// The "later" timer also ran on start (after one failure, retried); drain it.
	asOf := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	if err := r.SweepNow(ctx, "later", asOf); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case at := <-later.seen:
			if at.Equal(asOf) {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the sweep enqueued as of %v never ran; ran as of %v", asOf, later.asOf)
		}
	}
}
