// Package changes carries "this unit changed" events from PostgreSQL
// NOTIFY to the in-process subscribers of every server instance (the grid
// index for lookups, the tile cache). One dedicated connection listens and
// reconnects by itself; after a reconnect subscribers are told to reload
// everything, because notifications sent while disconnected are lost.
package changes

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the NOTIFY channel the units trigger writes to.
const Channel = "unit_changes"

// OpStaff is the Op of a change to a grid's staff card only (migration 000014).
const OpStaff = "staff"

// OpSync is the Op of a marker a server sends on Channel after a commit
// (Code is its token): NOTIFYs arrive in commit order, so a subscriber that
// has applied the marker has applied every change committed before it. No
// unit changed; Level is 0.
const OpSync = "sync"

// Event is one changed unit. A Reload event (after a reconnect) carries no
// unit: subscribers must refresh everything.
type Event struct {
	Op      string      `json:"op"` // insert, update, delete, OpStaff or OpSync
	Code    string      `json:"code"`
	Level   int         `json:"level"`
	OldBBox *[4]float64 `json:"old_bbox"`
	NewBBox *[4]float64 `json:"new_bbox"`
	Reload  bool        `json:"-"`
}

// Hub fans events out to subscribers.
type Hub struct {
	mu   sync.RWMutex
	subs []func(Event)
}

// Subscribe registers fn; it is called from the listener goroutine, in order,
// so it should be quick or hand off.
func (h *Hub) Subscribe(fn func(Event)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs = append(h.subs, fn)
}

// Publish delivers e to every subscriber.
func (h *Hub) Publish(e Event) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, fn := range h.subs {
		fn(e)
	}
}

// Listen holds a LISTEN connection to dsn until ctx ends, publishing every
// notification. ready (may be nil) is closed once the first LISTEN is active.
func (h *Hub) Listen(ctx context.Context, dsn string, log *slog.Logger, ready chan<- struct{}) {
	connect := func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, dsn) }
	ListenLoop(ctx, connect, Channel, log, func(first bool) {
		switch {
		case !first:
			h.Publish(Event{Reload: true})
		case ready != nil:
			close(ready)
		}
	}, func(payload string) {
		var e Event
		if json.Unmarshal([]byte(payload), &e) == nil {
			h.Publish(e)
		}
	})
}

// ListenLoop is the one LISTEN loop of wangge: it LISTENs on channel over a
// connection of its own (connect: never a pooled one, it waits forever) until
// ctx ends, reconnecting with backoff (200 ms doubling to 5 s). onListen runs
// after every LISTEN, with first true only the first time: after a
// reconnect the caller must reload, since notifications sent meanwhile are
// lost. onNotify gets each payload, in order.
func ListenLoop(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), channel string, log *slog.Logger,
	onListen func(first bool), onNotify func(payload string)) {
	backoff := 200 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := listenOnce(ctx, connect, channel, &first, onListen, onNotify)
		if ctx.Err() != nil {
			return
		}
		log.Warn("change listener disconnected; reconnecting", "channel", channel, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func listenOnce(ctx context.Context, connect func(context.Context) (*pgx.Conn, error), channel string, first *bool,
	onListen func(first bool), onNotify func(payload string)) error {
	conn, err := connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	onListen(*first)
	*first = false
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		onNotify(n.Payload)
	}
}
