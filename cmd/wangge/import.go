package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"wangge/geo/crs"
	"wangge/internal/config"
	"wangge/internal/importer"
	"wangge/internal/store"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// importCmd runs `wangge import households FILE [--map H=F ...] [--crs S] [--dry-run]`:
// the whole file in one transaction, or nothing (exit 1 with every bad row).
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "tracks" {
		return importTracksCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "units" {
		return importUnitsCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "persons" {
		return importPersonsCmd(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "households" {
		return usageError{errors.New("usage: wangge import households FILE [--map HEADER=FIELD ...] [--crs wgs84|gcj02|bd09] [--dry-run]\n       wangge import units FILE [--map SOURCE=FIELD ...] [--crs wgs84|cgcs2000|gcj02|bd09] [--dry-run] [--json]\n       wangge import persons FILE")}
	}
	var maps stringList
	var crsName string
	var dry bool
	fs := flag.NewFlagSet("import households", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&maps, "map", "HEADER=FIELD: read the column HEADER as FIELD (repeatable), e.g. 户主=head_name")
	fs.StringVar(&crsName, "crs", "wgs84", "coordinate system of rows without a crs column: wgs84, gcj02, bd09, cgcs2000")
	fs.BoolVar(&dry, "dry-run", false, "check and place every row, then roll back")
	// Flags may come before or after FILE.
	var files []string
	rest := args[1:]
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
	if len(files) != 1 {
		return usageError{errors.New("want exactly one FILE (.csv or .xlsx)")}
	}
	mapping, err := importer.ParseMapping(maps)
	if err != nil {
		return usageError{err}
	}
	sys, err := crs.Parse(crsName)
	if err != nil {
		return usageError{err}
	}
	format, err := importer.FormatOf(files[0])
	if err != nil {
		return usageError{err}
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	bar := newProgressBar(stderr)
	reply, err := importer.Run(ctx, st, importer.Request{
		Options: importer.Options{Format: format, Size: fi.Size(), Mapping: mapping, CRS: sys, Progress: bar.update},
		Open:    func() (io.ReadCloser, error) { return os.Open(files[0]) },
		File:    fi.Name(), DryRun: dry,
		Audit: store.AuditEntry{Username: "cli:" + os.Getenv("USER")},
	})
	bar.finish()
	var rej *importer.Rejected
	if errors.As(err, &rej) {
		for _, p := range rej.Problems {
			fmt.Fprintf(stderr, "%s: %s\n", files[0], p)
		}
		if rej.BadRows > len(rej.Problems) {
			fmt.Fprintf(stderr, "%s: … and more (first %d problems listed)\n", files[0], len(rej.Problems))
		}
		return fmt.Errorf("%d of %d rows are bad: nothing imported", rej.BadRows, rej.Rows)
	}
	if err != nil {
		return err
	}
	var res importer.Result
	if err := json.Unmarshal(reply.Body, &res); err != nil {
		return err
	}
	counts := res.Counts
	verb := "imported"
	if dry {
		verb = "dry run, nothing written; would import"
	}
	fmt.Fprintf(stdout, "%s %d rows: buildings %d matched, %d new; addresses %d matched, %d new; households %d new, %d updated, %d unchanged\n",
		verb, counts.Rows, counts.BuildingsMatched, counts.BuildingsCreated, counts.AddressesMatched, counts.AddressesCreated,
		counts.HouseholdsInserted, counts.HouseholdsUpdated, counts.HouseholdsUnchanged)
	return nil
}

// progressBar reports rows, rows/s and the share of the file read: one
// line rewritten with \r on a terminal, a line every few seconds otherwise.
type progressBar struct {
	w        io.Writer
	tty      bool
	start    time.Time
	last     time.Time
	rows     int
	wroteAny bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	tty := ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
	return &progressBar{w: w, tty: tty, start: time.Now()}
}

func (b *progressBar) update(rows int, done float64) {
	b.rows = rows
	now := time.Now()
	every := 5 * time.Second
	if b.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(b.last) < every && done < 1 {
		return
	}
	b.last = now
	rate := float64(rows) / max(now.Sub(b.start).Seconds(), 1e-3)
	pct := "?"
	if done >= 0 {
		pct = fmt.Sprintf("%3.0f%%", done*100)
	}
	line := fmt.Sprintf("import: %s  %d rows  %.0f rows/s", pct, rows, rate)
	if b.tty {
		fmt.Fprintf(b.w, "\r%-60s", line)
	} else {
		fmt.Fprintln(b.w, line)
	}
	b.wroteAny = true
}

func (b *progressBar) finish() {
	if b.tty && b.wroteAny {
		fmt.Fprintln(b.w)
	}
}
