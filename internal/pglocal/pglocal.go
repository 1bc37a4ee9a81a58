// Package pglocal brings up a private PostgreSQL 15 + PostGIS 3 cluster for
// wangge when no DATABASE_URL is given: it installs Debian's packages when
// they are missing, initialises a data directory, starts the server on a
// private loopback port and creates the database. Every step is idempotent, so
// a second call reuses the running cluster and restarts a stopped one.
package pglocal

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Debian's layout for PostgreSQL 15 and the PostGIS extension files (vars
// so a test can point them at a machine without them).
var (
	pgBin          = "/usr/lib/postgresql/15/bin"
	postgisControl = "/usr/share/postgresql/15/extension/postgis.control"
	trgmControl    = "/usr/share/postgresql/15/extension/pg_trgm.control"
	partmanControl = "/usr/share/postgresql/15/extension/pg_partman.control"
)

// Packages are the Debian packages the private cluster needs.
var Packages = []string{"postgresql-15", "postgresql-15-postgis-3", "postgresql-contrib", "postgresql-15-partman"}

// Cluster describes a private cluster.
type Cluster struct {
	Dir      string // data directory; also holds the Unix socket and the log
	Port     int    // loopback TCP port
	Database string // database created on first start
	Log      func(format string, args ...any)
}

// DSN is the connection string for database db of the cluster.
func (c Cluster) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

func (c Cluster) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

// Ensure installs what is missing, starts the cluster if it is not running and
// creates the database. It returns the DSN of the database. It never waits
// without bound: every external step has a timeout, and a port held by another
// program is reported instead of waited on.
func (c Cluster) Ensure(ctx context.Context) (string, error) {
	if err := requirePackages(); err != nil {
		return "", err
	}
	dir, err := c.dataDir()
	if err != nil {
		return "", err
	}
	c.Dir = dir
	unlock, err := lockFile(strings.TrimSuffix(c.Dir, "/") + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()

	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return "", err
		}
	}
	if !c.running(ctx) {
		if err := c.start(ctx); err != nil {
			return "", err
		}
	} else if port, err := runningPort(dir); err == nil && port != c.Port {
		// Started earlier with another port setting: use it as it runs.
		c.logf("cluster in %s is running on port %d", dir, port)
		c.Port = port
	}
	if err := c.createDatabase(ctx, c.Database); err != nil {
		return "", err
	}
	return c.DSN(c.Database), nil
}

// runningPort reads the port from postmaster.pid (its fourth line).
func runningPort(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, fmt.Errorf("pglocal: short postmaster.pid")
	}
	return strconv.Atoi(strings.TrimSpace(lines[3]))
}

// dataDir returns the absolute data directory. PostgreSQL runs as the
// postgres OS user when we are root, and that user cannot enter a private
// home such as /root; then the data lives under /var/lib/wangge and the
// requested path becomes a symlink to it, so it is still found in the
// checkout.
func (c Cluster) dataDir() (string, error) {
	abs, err := filepath.Abs(c.Dir)
	if err != nil {
		return "", fmt.Errorf("pglocal: data directory: %w", err)
	}
	if target, err := filepath.EvalSymlinks(abs); err == nil {
		abs = target
	}
	if os.Geteuid() != 0 || traversable(filepath.Dir(abs)) {
		return abs, os.MkdirAll(abs, 0o700)
	}
	sum := sha1.Sum([]byte(abs))
	alt := filepath.Join("/var/lib/wangge", "pg-"+hex.EncodeToString(sum[:6]))
	// The parent must be enterable by postgres; the data directory itself is 0700.
	if err := os.MkdirAll(filepath.Dir(alt), 0o755); err != nil {
		return "", fmt.Errorf("pglocal: %w", err)
	}
	if err := os.Chmod(filepath.Dir(alt), 0o755); err != nil {
		return "", fmt.Errorf("pglocal: %w", err)
	}
	if err := os.MkdirAll(alt, 0o700); err != nil {
		return "", fmt.Errorf("pglocal: %w", err)
	}
	if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
		if err := os.Symlink(alt, abs); err != nil {
			return "", fmt.Errorf("pglocal: %w", err)
		}
	}
	c.logf("data directory %s is not reachable by the postgres user; using %s", abs, alt)
	return alt, nil
}

// traversable reports whether every directory from / to dir can be entered by
// other users (the postgres OS user).
func traversable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == "/" || d == "." {
			return true
		}
	}
}

// requirePackages says exactly what to install when the server or PostGIS
// is missing. The binary never installs software: scripts/run and
// scripts/test do (scripts/deps), before it starts.
func requirePackages() error {
	if haveFile(filepath.Join(pgBin, "postgres")) && haveFile(postgisControl) && haveFile(trgmControl) && haveFile(partmanControl) {
		return nil
	}
	return fmt.Errorf("pglocal: PostgreSQL 15 with PostGIS 3 and pg_partman is not installed: run scripts/deps %s (or apt-get install them as root), or set DATABASE_URL",
		strings.Join(Packages, " "))
}
