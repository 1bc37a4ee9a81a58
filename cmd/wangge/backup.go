package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"wangge/internal/backup"
	"wangge/internal/config"
)

// backupCmd: wangge backup FILE — pg_dump of the whole database.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return usageError{fmt.Errorf("usage: wangge backup FILE")}
	}
	dsn, err := databaseURL(ctx, stderr)
	if err != nil {
		return err
	}
	size, sum, err := backup.Dump(ctx, dsn, args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup written to %s: %d bytes, sha256 %s\n", args[0], size, sum)
	return nil
}

// restoreCmd: wangge restore [--into NAME] FILE — into a new database on the
// same server; point DATABASE_URL at it to use it.
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	into := fs.String("into", "wangge_restored_"+time.Now().Format("20060102_150405"), "name of the new database")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{fmt.Errorf("usage: wangge restore [--into NAME] FILE")}
	}
	dsn, err := databaseURL(ctx, stderr)
	if err != nil {
		return err
	}
	target, err := backup.Restore(ctx, dsn, fs.Arg(0), *into)
	if err != nil {
		return err
	}
	shown := target
	if u, err := url.Parse(target); err == nil {
		shown = u.Redacted()
	}
	fmt.Fprintf(stdout, "restored into database %s\nuse it with DATABASE_URL=%s\n", *into, shown)
	return nil
}

// databaseURL is DATABASE_URL or the private cluster's, brought up if needed.
func databaseURL(ctx context.Context, stderr io.Writer) (string, error) {
	cfg, err := config.Load()
	if err != nil {
		return "", err
	}
	log := newLogger(stderr, cfg.LogLevel)
	return cfg.DSN(ctx, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
}
