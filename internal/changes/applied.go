package changes

import (
	"context"
	"fmt"
	"sync"
)

// Applied counts the events a subscriber has applied and lets callers (tests,
// mostly) wait until a given count is reached. The zero value is ready.
type Applied struct {
	mu   sync.Mutex
	n    uint64
	wake chan struct{} // closed and replaced on every Add
}

// Add records n more applied events and wakes every waiter.
func (a *Applied) Add(n uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n += n
	if a.wake != nil {
		close(a.wake)
		a.wake = nil
	}
}

// Count is the number of events applied so far.
func (a *Applied) Count() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// Wait blocks until Count() >= n or ctx ends.
func (a *Applied) Wait(ctx context.Context, n uint64) error {
	for {
		a.mu.Lock()
		cur := a.n
		if a.wake == nil {
			a.wake = make(chan struct{})
		}
		wake := a.wake
		a.mu.Unlock()
		if cur >= n {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("changes: waiting for %d applied events (at %d): %w", n, cur, ctx.Err())
		}
	}
}

// Queue applies pushed events in order, in batches, on one goroutine that
// it starts on demand and that exits when the queue is empty (an idle
// subscriber holds none); Push never blocks the listener. Applied counts
// what apply has finished. Set apply before the first Push.
type Queue[E any] struct {
	apply   func(batch []E)
	mu      sync.Mutex
	items   []E
	running bool
	Applied Applied
}

// NewQueue returns a queue that hands batches to apply.
func NewQueue[E any](apply func(batch []E)) *Queue[E] { return &Queue[E]{apply: apply} }

// Push queues e and makes sure the worker runs.
func (q *Queue[E]) Push(e E) {
	q.mu.Lock()
	q.items = append(q.items, e)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.work()
	}
}

func (q *Queue[E]) work() {
	for {
		q.mu.Lock()
		batch := q.items
		q.items = nil
		if len(batch) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		q.apply(batch)
		q.Applied.Add(uint64(len(batch)))
	}
}
