package mapdata

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"

	"wangge/internal/changes"
)

// Sync returns once this instance has applied every unit change committed
// before the call, so its tile cache holds none of the tiles those changes
// made stale: a writer calls it before answering, and the client fetches
// the touched tiles once, after the purge. It sends a changes.OpSync
// marker through the database and waits for it to come back through the
// event queue. Without Options.Changes there is nothing to wait for.
func (s *Service) Sync(ctx context.Context) error {
	if !s.subscribed {
		return nil
	}
	var b [12]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	done := make(chan struct{})
	s.syncMu.Lock()
	if s.syncs == nil {
		s.syncs = map[string]chan struct{}{}
	}
	s.syncs[token] = done
	s.syncMu.Unlock()
	defer func() {
		s.syncMu.Lock()
		delete(s.syncs, token)
		s.syncMu.Unlock()
	}()
	payload, _ := json.Marshal(changes.Event{Op: changes.OpSync, Code: token})
	if err := s.st.Notify(ctx, changes.Channel, string(payload)); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// synced releases the Sync calls whose markers are in the applied batch
// (markers of other instances have no waiter here).
func (s *Service) synced(batch []event) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	for _, e := range batch {
		if ch, ok := s.syncs[e.sync]; ok && e.sync != "" {
			close(ch)
			delete(s.syncs, e.sync)
		}
	}
}
