package coverage

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
)

// syncCountingCtx is done after its Err has been asked `after` times; safe
// for Validate's worker goroutines. It counts work, not time.
type syncCountingCtx struct {
	context.Context
	after int64
	calls atomic.Int64
}

func (c *syncCountingCtx) Err() error {
	if c.calls.Add(1) > c.after {
		return context.Canceled
	}
	return nil
}

// TestValidateContextStops: a coverage validation whose context ends
// part-way returns the context's error and does no further stage: the Err
// calls after the end are at most one per member (each remaining member's
// geometry check asks once and returns) plus the stage checks.
func TestValidateContextStops(t *testing.T) {
	ms := mesh(20, 20, 7, false)
	parent := meshParent(ms, 20, 20)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ValidateContext(cancelled, ms, parent, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: err %v", err)
	}
	full := &syncCountingCtx{Context: context.Background(), after: math.MaxInt64}
	r, err := ValidateContext(full, ms, parent, Options{})
	if err != nil || len(r.Defects) != 0 {
		t.Fatalf("full run: err %v, %d defects", err, len(r.Defects))
	}
	// The full run asks at least once per member in each of the geometry
	// and edge stages.
	if n := full.calls.Load(); n < int64(2*len(ms)) {
		t.Fatalf("full run asked Err %d times for %d members", n, len(ms))
	}
	part := &syncCountingCtx{Context: context.Background(), after: int64(len(ms) / 2)}
	if _, err := ValidateContext(part, ms, parent, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped half-way through the members: err %v", err)
	}
	if extra := part.calls.Load() - part.after; extra > int64(len(ms))+4 {
		t.Errorf("Err asked %d more times after the end (full run: %d): the validation went on", extra, full.calls.Load())
	}
}
