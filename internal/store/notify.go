package store

import (
	"context"
	"fmt"
)

// Notify sends payload on a NOTIFY channel, delivered once the statement's
// own transaction commits (here: at once, after every earlier commit).
// Always on the primary: a standby cannot NOTIFY.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if _, err := s.Primary().Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("store: notify %s: %w", channel, err)
	}
	return nil
}
