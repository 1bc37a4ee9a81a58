package mapdata

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"wangge/internal/changes"
	"wangge/internal/store"
)

// PlaceChannel is the NOTIFY channel of building and household writes
// (migration 000010) and of the base map's (000175): one notification per
// writing statement, on commit, naming the table.
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
	connect := func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, s.st.Primary().Config().ConnConfig.Copy())
	}
	changes.ListenLoop(ctx, connect, PlaceChannel, s.log, func(first bool) {
		switch {
		case !first:
			s.enqueue(event{places: true, basemap: true})
		case ready != nil:
			close(ready)
		}
	}, func(table string) {
		// The payload is the table written (migrations 10, 175).
		if table == store.BaseStreets || table == store.BaseWater {
			s.enqueue(event{basemap: true})
			return
		}
		s.enqueue(event{places: true})
	})
}
