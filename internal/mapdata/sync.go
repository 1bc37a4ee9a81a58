package mapdata

import "context"

// Sync returns once this instance has applied every unit change committed
// before the call, so its tile cache holds none of the tiles those changes
// made stale: a writer calls it before answering, and the client fetches
// the touched tiles once, after the purge (changes.Syncs). Without
// Options.Changes there is nothing to wait for.
func (s *Service) Sync(ctx context.Context) error {
	if !s.subscribed {
		return nil
	}
	return s.syncs.Wait(ctx, s.st)
}

// synced releases the Sync calls whose markers are in the applied batch.
func (s *Service) synced(batch []event) {
	for _, e := range batch {
		if e.sync != "" {
			s.syncs.Done(e.sync)
		}
	}
}
