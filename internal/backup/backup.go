// Package backup dumps and restores the wangge database with PostgreSQL's own
// pg_dump and pg_restore (custom format: compressed, restorable table by
// table). A restore always goes into a new database, never over live data.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tool finds a PostgreSQL client program, preferring the server's version.
func tool(name string) string {
	p := filepath.Join("/usr/lib/postgresql/15/bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return name
}

// Dump writes the database at dsn to file (custom format), atomically: a
// failed dump leaves no partial file. It returns the file's size and SHA-256.
func Dump(ctx context.Context, dsn, file string) (int64, string, error) {
	tmp := file + ".partial"
	cmd := exec.CommandContext(ctx, tool("pg_dump"), "--format=custom", "--no-owner", "--file="+tmp, "--dbname="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return 0, "", fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(string(out)))
	}
	size, sum, err := digest(tmp)
	if err != nil {
		os.Remove(tmp)
		return 0, "", err
	}
	if err := os.Rename(tmp, file); err != nil {
		return 0, "", fmt.Errorf("backup: %w", err)
	}
	return size, sum, nil
}

func digest(file string) (int64, string, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, "", fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("backup: %w", err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Restore creates database name on the server of dsn and restores file into
// it in one transaction; it refuses a name that already exists. It returns
// the DSN of the restored database.
func Restore(ctx context.Context, dsn, file, name string) (string, error) {
	if _, err := os.Stat(file); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("backup: database URL: %w", err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	if exists {
		return "", fmt.Errorf("backup: database %q already exists; restore into a new name", name)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("backup: create database: %w", err)
	}
	u.Path = "/" + name
	target := u.String()
	cmd := exec.CommandContext(ctx, tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
		"--dbname="+target, file)
	if out, err := cmd.CombinedOutput(); err != nil {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize())
		return "", fmt.Errorf("backup: pg_restore: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return target, nil
}
