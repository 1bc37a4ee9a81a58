package changes

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sync"
)

// Notifier sends a NOTIFY (store.Store.Notify).
type Notifier interface {
	Notify(ctx context.Context, channel, payload string) error
}

// Syncs lets a subscriber tell a writer that it has caught up. Wait sends
// an OpSync marker on Channel and returns once the subscriber has applied
// the batch holding it (Done): since NOTIFYs arrive in commit order, every
// change committed before the call has then been applied. Markers of other
// instances and other subscribers have no waiter and are ignored.
// The zero value is ready to use.
type Syncs struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

// Wait sends a marker through n and waits for Done to see it, or for ctx.
func (w *Syncs) Wait(ctx context.Context, n Notifier) error {
	var b [12]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	done := make(chan struct{})
	w.mu.Lock()
	if w.waiting == nil {
		w.waiting = map[string]chan struct{}{}
	}
	w.waiting[token] = done
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.waiting, token)
		w.mu.Unlock()
	}()
	payload, _ := json.Marshal(Event{Op: OpSync, Code: token})
	if err := n.Notify(ctx, Channel, string(payload)); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Done releases the Wait whose marker has token, if it is this one's.
func (w *Syncs) Done(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch, ok := w.waiting[token]; ok {
		close(ch)
		delete(w.waiting, token)
	}
}
