package loadgen

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunStopsAtTheRequestCount(t *testing.T) {
	var calls atomic.Int64
	r := Run("count", []int{1, 2, 3}, 4, 100, time.Minute, func(int) error { calls.Add(1); return nil })
	if r.Count != 100 || calls.Load() != 100 || r.Err != nil || r.Rate <= 0 || r.P99 < r.P50 {
		t.Fatalf("%+v after %d calls", r, calls.Load())
	}
}

func TestRunStopsAtTheTimeLimitAndKeepsTheFirstError(t *testing.T) {
	r := Run("time", []int{1}, 2, 1<<30, 50*time.Millisecond, func(int) error { time.Sleep(time.Millisecond); return nil })
	// The request limit is out of reach, so only the time limit can have ended it.
	if r.Count == 0 || r.Count >= 1<<30 || r.Err != nil {
		t.Fatalf("%+v", r)
	}
	boom := errors.New("boom")
	r = Run("fail", []int{1, 2}, 1, 10, time.Minute, func(i int) error {
		if i == 2 {
			return boom
		}
		return nil
	})
	if r.Count != 1 || !errors.Is(r.Err, boom) {
		t.Fatalf("%+v", r)
	}
}
