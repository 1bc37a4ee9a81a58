// Package loadgen runs bounded load phases for the project's load tools:
// a fixed number of workers call a function over a list of inputs until a
// request count or a time limit is reached, and the phase reports its rate
// and latency percentiles. Loopback only: the callers target servers they
// started themselves.
package loadgen

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one phase's outcome.
type Result struct {
	Name     string
	Count    int
	Elapsed  time.Duration
	Rate     float64 // calls per second
	P50, P99 time.Duration
	Err      error // the first failure, which stops its worker
}

// String formats the result as one aligned line.
func (r Result) String() string {
	if r.Count == 0 {
		return fmt.Sprintf("%-22s no successful call (%v)", r.Name, r.Err)
	}
	s := fmt.Sprintf("%-22s %8d in %6.2fs %9.0f/s  p50 %9s  p99 %9s", r.Name, r.Count, r.Elapsed.Seconds(), r.Rate,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond))
	if r.Err != nil {
		s += fmt.Sprintf("  (error: %v)", r.Err)
	}
	return s
}

// Run calls fn on inputs in turn from workers goroutines until requests calls
// were made or limit has passed.
func Run[T any](name string, inputs []T, workers, requests int, limit time.Duration, fn func(T) error) Result {
	var next atomic.Int64
	var failed atomic.Value
	lat := make([][]time.Duration, workers)
	deadline := time.Now().Add(limit)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				i := next.Add(1) - 1
				if i >= int64(requests) {
					return
				}
				t0 := time.Now()
				if err := fn(inputs[int(i)%len(inputs)]); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		})
	}
	wg.Wait()
	r := Result{Name: name, Elapsed: time.Since(start)}
	r.Err, _ = failed.Load().(error)
	all := slices.Concat(lat...)
	slices.Sort(all)
	r.Count = len(all)
	if r.Count > 0 {
		r.Rate = float64(r.Count) / r.Elapsed.Seconds()
		r.P50, r.P99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}
