package pglocal

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"
)

// Standby makes dir a hot standby of the running cluster c with
// PostgreSQL's own streaming replication (pg_basebackup -R: the standby
// signal and primary_conninfo are written for it) and starts it on port,
// read-only. initdb's trust rules already admit replication from loopback.
func (c Cluster) Standby(ctx context.Context, dir string, port int) (Cluster, error) {
	s := Cluster{Dir: dir, Port: port, Database: c.Database, Log: c.Log}
	d, err := s.dataDir()
	if err != nil {
		return s, err
	}
	s.Dir = d
	if err := s.chownToPostgres(d); err != nil {
		return s, err
	}
	s.logf("copying %s into the standby %s", c.Dir, d)
	bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := run(bctx, nil, s.asPostgres(filepath.Join(pgBin, "pg_basebackup"), "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port),
		"-U", "postgres", "-D", d, "-R", "-X", "stream", "-c", "fast")); err != nil {
		return s, fmt.Errorf("pglocal: base backup: %w", err)
	}
	return s, s.start(ctx)
}
