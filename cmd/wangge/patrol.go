package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"wangge/geo/crs"
	"wangge/internal/ingest"
	"wangge/internal/store"
	"wangge/internal/workcal"
)

// importTracksCmd runs `wangge import tracks FILE… --worker NAME [--crs S]`:
// GPX or GeoLife .plt logs of one worker, each file one transaction (a bad
// file stores nothing and names its bad point); points already stored are
// skipped, so importing a file twice changes nothing.
func importTracksCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var worker, crsName string
	fs := flag.NewFlagSet("import tracks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&worker, "worker", "", "username of the grid worker who logged the tracks")
	fs.StringVar(&crsName, "crs", "wgs84", "coordinate system of the files: wgs84, gcj02, bd09, cgcs2000")
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return usageError{err}
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if worker == "" || len(files) == 0 {
		return usageError{errors.New("usage: wangge import tracks FILE.gpx|FILE.plt … --worker NAME [--crs wgs84|gcj02|bd09]")}
	}
	sys, err := crs.Parse(crsName)
	if err != nil {
		return usageError{err}
	}
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	id, unit, err := st.PatrolWorker(ctx, worker)
	if err != nil {
		return err
	}
	if len(unit) < 6 {
		return fmt.Errorf("worker %s belongs to no region: patrols are recorded per region", worker)
	}
	failed := 0
	for _, name := range files {
		stored, n, err := importTrackFile(ctx, st, name, sys, unit[:6], id)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v: nothing imported from it\n", name, err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s: %d points, %d new, %d already stored\n", name, n, stored, n-stored)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files refused", failed, len(files))
	}
	return nil
}

func importTrackFile(ctx context.Context, st *store.Store, name string, sys crs.System, region string, user int64) (int, int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	fixes, err := ingest.ParseTrackFile(name, f, sys, time.Now())
	if err != nil {
		return 0, 0, err
	}
	stored, err := st.AddFixes(ctx, region, user, fixes)
	return stored, len(fixes), err
}

// patrolCmd runs `wangge patrol sweep [--as-of T] [--mark-from D --mark-to D]`:
// computes the worker-days changed since the last sweep; safe to repeat and
// to run on several machines at once (store.SweepPatrolDays).
func patrolCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "sweep" {
		return usageError{errors.New("usage: wangge patrol sweep [--as-of RFC3339] [--mark-from YYYY-MM-DD --mark-to YYYY-MM-DD]")}
	}
	var asOfS, markFrom, markTo string
	var limit int
	fs := flag.NewFlagSet("patrol sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&asOfS, "as-of", "", "compute as of this time (RFC 3339; default now)")
	fs.StringVar(&markFrom, "mark-from", "", "first mark every worker-day with fixes from this China date…")
	fs.StringVar(&markTo, "mark-to", "", "…to this one (inclusive), e.g. after a bulk load")
	fs.IntVar(&limit, "limit", 1_000_000, "at most this many worker-days")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	asOf := time.Now()
	if asOfS != "" {
		t, err := time.Parse(time.RFC3339, asOfS)
		if err != nil {
			return usageError{fmt.Errorf("--as-of %q: want RFC 3339", asOfS)}
		}
		asOf = t
	}
	cst := workcal.CST
	var from, to time.Time
	if markFrom != "" || markTo != "" {
		var err1, err2 error
		from, err1 = time.ParseInLocation(time.DateOnly, markFrom, cst)
		to, err2 = time.ParseInLocation(time.DateOnly, markTo, cst)
		if err1 != nil || err2 != nil || to.Before(from) {
			return usageError{errors.New("--mark-from and --mark-to: two dates YYYY-MM-DD, from <= to")}
		}
	}
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	if !from.IsZero() {
		n, err := st.MarkPatrolDays(ctx, from, to.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "marked %d worker-days\n", n)
	}
	start := time.Now()
	res, err := st.SweepPatrolDays(ctx, asOf, store.DefaultPatrolParams, limit)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "as of %s: %d worker-days due, %d computed (%d closed) in %s\n",
		asOf.Format(time.RFC3339), res.Due, res.Computed, res.Closed, time.Since(start).Round(time.Millisecond))
	return nil
}
