package mapdata

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// PlaceChannel is the NOTIFY channel of building and household writes
// (migration 000010): one notification per writing statement, on commit.
const PlaceChannel = "place_changes"

// Run loads the layers, then listens for place changes until ctx ends,
// reconnecting by itself; after a reconnect the place layers are reloaded,
// since notifications sent meanwhile are lost. ready (may be nil) is closed
// once the layers are loaded and the first LISTEN is active. Unit changes
// come from Options.Changes, not from here.
func (s *Service) Run(ctx context.Context, ready chan<- struct{}) {
	for ctx.Err() == nil {
		err := s.ensureLoaded(ctx)
		if err == nil {
			break
		}
		s.log.Error("map layers: load failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
	backoff := 200 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, &first, ready)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("place change listener disconnected; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (s *Service) listenOnce(ctx context.Context, first *bool, ready chan<- struct{}) error {
	// A connection of its own (not from the pool): it waits forever.
	conn, err := pgx.ConnectConfig(ctx, s.st.Pool().Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+PlaceChannel); err != nil {
		return err
	}
	if *first {
		*first = false
		if ready != nil {
			close(ready)
		}
	} else {
		s.enqueue(event{places: true})
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		s.enqueue(event{places: true})
	}
}
