// Command wangge is the community grid management service (网格化管理).
//
//	wangge serve    [--addr HOST:PORT]   migrate, then serve the API and the map
//	wangge migrate                       apply database migrations
//	wangge demo     [--seed N] [--scale GRIDS] [--patrol-days N]
//	                                     load the demo district (replaces it)
//	wangge validate FILE [flags]         check a grid layer offline, no database
//	wangge user add --username U --role R [--unit CODE] [--can-unmask]
//	wangge backup FILE | wangge restore [--into NAME] FILE
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"wangge/internal/api"
	"wangge/internal/changes"
	"wangge/internal/config"
	"wangge/internal/demo"
	"wangge/internal/hotspots"
	"wangge/internal/incidents"
	"wangge/internal/inspection"
	"wangge/internal/jobs"
	"wangge/internal/lookup"
	"wangge/internal/mapdata"
	"wangge/internal/media"
	"wangge/internal/migrate"
	"wangge/internal/staff"
	"wangge/internal/store"
	"wangge/internal/validatecli"
	"wangge/internal/webhook"
	"wangge/static"
)

const usage = `usage: wangge <command> [flags]

commands:
  serve     migrate the database, then serve the API and the grid map
  migrate   apply database migrations
  check     verify configuration, database, PostGIS, migrations and disk before start [--min-free-mb N]
  demo      load the demo district (flags: --seed, --scale, --patrol-days)
  validate  check a GeoJSON grid layer offline (wangge validate --help)
  user      add or reset an account: user add --username U --role R [--unit CODE]
  backup    write the whole database to FILE (pg_dump custom format)
  restore   restore FILE into a new database (--into NAME)
  dburl     print the database URL in use (bringing up the private cluster if needed)
  import    import households FILE (.csv/.xlsx) [--map H=F] [--crs gcj02] [--dry-run]
            import tracks FILE.gpx|.plt … --worker NAME (devices that logged offline)
  patrol    patrol sweep [--as-of T]: compute the worker-day figures changed since the last sweep
            import units FILE (GeoJSON/zipped Shapefile) [--map SOURCE=FIELD] [--crs gcj02] [--dry-run] [--json]
  staff     staff sweep [--day YYYY-MM-DD]: refresh the cards whose people change that day
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1], os.Args[2:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) int {
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stderr)
	case "migrate":
		err = migrateCmd(ctx, stderr)
	case "check":
		err = checkCmd(ctx, args, stdout, stderr)
	case "demo":
		err = demoCmd(ctx, args, stdout, stderr)
	case "dburl":
		var dsn string
		if dsn, err = databaseURL(ctx, stderr); err == nil {
			fmt.Fprintln(stdout, dsn)
		}
	case "backup":
		err = backupCmd(ctx, args, stdout, stderr)
	case "restore":
		err = restoreCmd(ctx, args, stdout, stderr)
	case "user":
		err = userCmd(ctx, args, os.Stdin, stdout, stderr)
	case "import":
		err = importCmd(ctx, args, stdout, stderr)
	case "patrol":
		err = patrolCmd(ctx, args, stdout, stderr)
	case "staff":
		err = staffCmd(ctx, args, stdout, stderr)
	case "validate":
		return validateCmd(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "wangge: unknown command %q\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "wangge %s: %v\n", cmd, err)
			return 2
		}
		fmt.Fprintf(stderr, "wangge %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

type usageError struct{ error }

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// openDatabase finds the database (DATABASE_URL or the private cluster),
// migrates it, and returns a pool opened after the migration so every
// connection knows the PostGIS types.
func openDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (*pgxpool.Pool, error) {
	pool, _, err := openDatabaseDSN(ctx, cfg, log)
	return pool, err
}

// openConfigured opens the configured database (config from the environment,
// logging to stderr): what every one-shot command starts with.
func openConfigured(ctx context.Context, stderr io.Writer) (*pgxpool.Pool, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	return openDatabase(ctx, cfg, newLogger(stderr, cfg.LogLevel))
}

// openDatabaseDSN is openDatabase that also returns the DSN (for LISTEN).
func openDatabaseDSN(ctx context.Context, cfg config.Config, log *slog.Logger) (*pgxpool.Pool, string, error) {
	dsn, err := cfg.DSN(ctx, func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) })
	if err != nil {
		return nil, "", err
	}
	mpool, err := store.OpenPool(ctx, dsn)
	if err != nil {
		return nil, "", err
	}
	n, err := migrate.Up(ctx, mpool)
	mpool.Close()
	if err != nil {
		return nil, "", err
	}
	if n > 0 {
		log.Info("migrations applied", "count", n, "version", migrate.Latest())
	}
	pool, err := store.OpenPool(ctx, dsn)
	return pool, dsn, err
}

// openReplica opens DATABASE_READ_URL as st's replica store, or returns st
// without one.
func openReplica(ctx context.Context, cfg config.Config, st *store.Store) (*store.Store, error) {
	if cfg.ReadURL == "" {
		return st, nil
	}
	rpool, err := store.OpenPool(ctx, cfg.ReadURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_READ_URL: %w", err)
	}
	return st.Replica(rpool), nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address HOST:PORT (env WANGGE_ADDR)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if err := cfg.ValidateAddr(); err != nil {
		return usageError{err}
	}
	log := newLogger(stderr, cfg.LogLevel)
	pool, dsn, err := openDatabaseDSN(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	hub := &changes.Hub{}
	listening := make(chan struct{})
	go hub.Listen(ctx, dsn, log, listening)
	st := store.New(pool)
	read, err := openReplica(ctx, cfg, st)
	if err != nil {
		return err
	}
	if read != st {
		defer read.Pool().Close()
	}
	// Map layers: loaded now, kept current by unit events (hub) and place
	// notifications (its own listener).
	maps := mapdata.New(read, mapdata.Options{Changes: hub, Logger: log})
	go maps.Run(ctx, nil)
	// Grid lookups from memory: loaded once LISTEN is up (or after 10 s
	// without it), so no edit committed after the load is missed.
	// Hotspot maps: cached per query, dropped by case and household notifications.
	hot := hotspots.New(st, hotspots.Options{Logger: log})
	hot.Subscribe(hub)
	go hot.Listen(ctx, dsn, nil)
	grids := lookup.New(read, log)
	grids.Subscribe(hub)
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		log.Warn("unit change listener not up yet; loading grid lookups anyway")
	}
	if err := grids.Load(ctx); err != nil {
		return err
	}
	log.Info("grid lookups loaded", "grids", grids.Len())
	var bucket *media.Bucket
	if cfg.MediaS3.Endpoint != "" {
		if bucket, err = media.OpenBucket(cfg.MediaS3); err != nil {
			return err
		}
		if err := bucket.Check(ctx); err != nil {
			return err
		}
		log.Info("photos in the object store", "endpoint", cfg.MediaS3.Endpoint, "bucket", cfg.MediaS3.Bucket)
	}
	srv := api.New(api.Options{
		MediaBucket:    bucket,
		Store:          st,
		Read:           read,
		Changes:        hub,
		Map:            maps,
		Hotspots:       hot,
		Lookup:         grids,
		Static:         static.FS,
		Logger:         log,
		BodyLimit:      cfg.BodyLimit,
		RequestTimeout: cfg.RequestTimeout,
		PositionMaxAge: cfg.PositionMaxAge,
		BasemapURL:     cfg.BasemapURL,
		BasemapCRS:     cfg.BasemapCRS,
		PublicURL:      cfg.PublicURL,
		TrustedProxies: cfg.TrustedProxies,
		LoginPerMinute: float64(cfg.LoginPerMinute),
		LoginBurst:     2 * cfg.LoginPerMinute,
	})
	// Timers (deadline escalation): River jobs in the database, so they
	// survive restarts and fire once across instances.
	timers, err := jobs.New(pool, log,
		jobs.Timer{Name: "incidents", Every: time.Minute, Sweeper: &incidents.Service{Store: st}},
		jobs.Timer{Name: "hazards", Every: 10 * time.Minute, Sweeper: &inspection.Service{Store: st}},
		jobs.Timer{Name: "patrol", Every: 5 * time.Minute, Sweeper: patrolTimer{st}},
		jobs.Timer{Name: "staff", Every: time.Hour, Sweeper: staff.New(st)},
		jobs.Timer{Name: "unit-stats", Every: 10 * time.Minute, Sweeper: statsTimer{pool}},
		jobs.Timer{Name: "partitions", Every: time.Hour, Sweeper: partitionsTimer{pool}},
		jobs.Timer{Name: "webhooks", Every: 30 * time.Second, Sweeper: &webhook.Deliverer{Store: st}},
		jobs.Timer{Name: "change-feed", Every: time.Hour, Sweeper: changeFeedTimer{st, time.Duration(cfg.ChangeFeedDays) * 24 * time.Hour}})
	if err != nil {
		return err
	}
	if err := timers.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = timers.Stop(stop) //nolint:errcheck // shutting down; jobs left running are retried
	}()
	if cfg.MetricsAddr != "" {
		if err := serveMetrics(ctx, cfg.MetricsAddr, srv.MetricsHandler(), log); err != nil {
			return err
		}
	}
	log.Info("serving", "addr", cfg.Addr)
	return srv.Start(ctx, cfg.Addr)
}

func migrateCmd(ctx context.Context, stderr io.Writer) error {
	pool, err := openConfigured(ctx, stderr)
	if err != nil {
		return err
	}
	pool.Close()
	fmt.Fprintf(stderr, "schema at version %d\n", migrate.Latest())
	return nil
}

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	var opt demo.Options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed: the same seed gives the same district")
	fs.IntVar(&opt.Grids, "scale", 72, "about this many grids (e.g. 10000 for benchmarks)")
	fs.IntVar(&opt.PatrolDays, "patrol-days", -1, "days of patrol tracks per grid worker (default 30, or 1 when --scale > 1000)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if opt.Grids < 1 || opt.Grids > 200000 {
		return usageError{fmt.Errorf("--scale %d: want 1 to 200000 grids", opt.Grids)}
	}
	if opt.PatrolDays < 0 {
		opt.PatrolDays = 30
		if opt.Grids > 1000 {
			opt.PatrolDays = 1
		}
	}
	log := newLogger(stderr, cfg.LogLevel)
	opt.Log = func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }
	opt.Password = os.Getenv("WANGGE_DEMO_PASSWORD")
	generated := opt.Password == ""
	if generated {
		opt.Password = randomPassword()
	}
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	start := time.Now()
	sum, err := demo.Load(ctx, pool, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo district loaded in %s: %d streets, %d communities, %d grids, %d buildings, %d households (%d people), %d incidents, %d patrol points\n",
		time.Since(start).Round(time.Millisecond), sum.Streets, sum.Communities, sum.Grids, sum.Buildings, sum.Households, sum.People, sum.Incidents, sum.PatrolPoints)
	if generated {
		fmt.Fprintf(stdout, "demo users admin, planner, officer, leader, auditor have the generated password: %s\n(set WANGGE_DEMO_PASSWORD to choose it)\n", opt.Password)
	} else {
		fmt.Fprintln(stdout, "demo users admin, planner, officer, leader, auditor use WANGGE_DEMO_PASSWORD")
	}
	return nil
}

// randomPassword is a readable 16-character password for the demo users.
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func validateCmd(args []string, stdout, stderr io.Writer) int {
	return validatecli.Run(args, stdout, stderr)
}
