package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"wangge/geo/crs"
	"wangge/internal/apperr"
	"wangge/internal/staff"
	"wangge/internal/store"
	"wangge/internal/unitio"
	"wangge/internal/workcal"
)

// importUnitsCmd runs `wangge import units FILE [--map SOURCE=FIELD ...]
// [--crs S] [--dry-run] [--json]`: districts, streets, communities and
// estates, all or nothing; exit 1 with every defect listed.
func importUnitsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var maps stringList
	var crsName string
	var dry, asJSON bool
	fs := flag.NewFlagSet("import units", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&maps, "map", "SOURCE=FIELD: read attribute SOURCE as FIELD (code, name, parent_code, kind, level), e.g. adcode=code")
	fs.StringVar(&crsName, "crs", "wgs84", "coordinate system of the file: wgs84, cgcs2000, gcj02, bd09")
	fs.BoolVar(&dry, "dry-run", false, "check everything, load nothing")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
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
	if len(files) != 1 {
		return usageError{errors.New("want exactly one FILE (.geojson or zipped Shapefile)")}
	}
	mapping, err := unitio.ParseMapping(maps)
	if err != nil {
		return usageError{err}
	}
	sys, err := crs.Parse(crsName)
	if err != nil {
		return usageError{err}
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := unitio.Import(ctx, store.New(pool), data, unitio.Request{Mapping: mapping, Source: sys, DryRun: dry,
		Reason: "wangge import units " + files[0], Audit: store.AuditEntry{Username: "cli:" + os.Getenv("USER")}})
	var ae *apperr.Error
	refused := errors.As(err, &ae) && ae.Details != nil
	if err != nil && !refused {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, d := range rep.Defects {
			fmt.Fprintf(stderr, "%s: feature %d (%s %s): %s %s: %s\n", files[0], d.Feature, d.Code, d.Name, d.Severity, d.Kind, d.Message)
		}
	}
	if refused {
		return fmt.Errorf("%d error(s), %d warning(s) in %d features: nothing loaded", rep.Errors, rep.Warnings, rep.Features)
	}
	if !asJSON {
		verb := "loaded"
		if dry {
			verb = "dry run, nothing written; checked"
		}
		fmt.Fprintf(stdout, "%s %d units %v: %d new, %d updated, %d warning(s)\n", verb, rep.Features, rep.Levels, rep.Inserted, rep.Updated, rep.Warnings)
	}
	return nil
}

// staffCmd runs `wangge staff sweep [--day YYYY-MM-DD]`, the daily refresh
// of cards whose assignments or leaves start or end (idempotent).
func staffCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "sweep" {
		return usageError{errors.New("usage: wangge staff sweep [--day YYYY-MM-DD]")}
	}
	fs := flag.NewFlagSet("staff sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dayFlag := fs.String("day", "", "the day to sweep for (default today, China Standard Time)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	svc := staff.New(store.New(pool))
	day := time.Now().In(workcal.CST)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	if *dayFlag != "" {
		if day, err = time.Parse("2006-01-02", *dayFlag); err != nil {
			return usageError{fmt.Errorf("--day %q: want YYYY-MM-DD", *dayFlag)}
		}
	}
	n, err := svc.Sweep(ctx, day)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "refreshed the cards of %d units for %s\n", n, day.Format("2006-01-02"))
	return nil
}
