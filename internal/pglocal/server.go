package pglocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

func (c Cluster) initdb(ctx context.Context) error {
	c.logf("initialising PostgreSQL data directory %s", c.Dir)
	if err := c.chownToPostgres(c.Dir); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := run(ctx, nil, c.asPostgres(filepath.Join(pgBin, "initdb"),
		"-D", c.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--lc-ctype=C.UTF-8"))
	if err != nil {
		return fmt.Errorf("pglocal: initdb: %w", err)
	}
	return nil
}

// running reports whether this data directory's server is up.
func (c Cluster) running(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return run(ctx, nil, c.asPostgres(filepath.Join(pgBin, "pg_ctl"), "status", "-D", c.Dir)) == nil
}

func (c Cluster) start(ctx context.Context) error {
	if conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)), time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("pglocal: port %d is taken by another program; set WANGGE_PG_PORT to a free port, or DATABASE_URL", c.Port)
	}
	c.logf("starting PostgreSQL on 127.0.0.1:%d (data %s)", c.Port, c.Dir)
	opts := strings.Join([]string{
		"-p", strconv.Itoa(c.Port),
		"-k", c.Dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300",
		"-c", "shared_buffers=512MB",
		"-c", "max_locks_per_transaction=256",
	}, " ")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err := run(ctx, nil, c.asPostgres(filepath.Join(pgBin, "pg_ctl"), "start", "-D", c.Dir, "-w", "-t", "90",
		"-l", filepath.Join(c.Dir, "server.log"), "-o", opts))
	if err != nil {
		return fmt.Errorf("pglocal: starting the server failed (see %s): %w", filepath.Join(c.Dir, "server.log"), err)
	}
	return nil
}

// Stop shuts the cluster down quickly; tests use it to inject a database outage.
func (c Cluster) Stop(ctx context.Context) error {
	dir, err := c.dataDir()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return run(ctx, nil, c.asPostgres(filepath.Join(pgBin, "pg_ctl"), "stop", "-D", dir, "-m", "fast", "-w"))
}

func (c Cluster) createDatabase(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("pglocal: connect: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	if exists {
		return nil
	}
	c.logf("creating database %s", name)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("pglocal: create database %s: %w", name, err)
	}
	return nil
}

// asPostgres returns the command line that runs prog as the postgres OS user
// when we are root: PostgreSQL refuses to run as root.
func (c Cluster) asPostgres(prog string, args ...string) []string {
	if os.Geteuid() != 0 {
		return append([]string{prog}, args...)
	}
	return append([]string{"runuser", "-u", "postgres", "--", prog}, args...)
}

func (c Cluster) chownToPostgres(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	out, err := exec.Command("id", "-u", "postgres").Output()
	if err != nil {
		return fmt.Errorf("pglocal: no postgres OS user (is postgresql-15 installed?): %w", err)
	}
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	out, err = exec.Command("id", "-g", "postgres").Output()
	if err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	gid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return os.Chmod(dir, 0o700)
}

// run executes argv and folds its output into the error, so a failure says why.
func run(ctx context.Context, env []string, argv []string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin = nil
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Errorf("%s: timed out", argv[0])
	}
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, msg)
	}
	return nil
}

func haveFile(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// lockFile serialises concurrent Ensure calls (parallel test binaries).
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pglocal: lock: %w", err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("pglocal: lock %s: %w", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
