// Package jobs runs wangge's timers on River, a job queue kept in the same
// PostgreSQL: jobs survive a restart, and periodic jobs are enqueued by the
// one elected leader among all instances, so a timer fires once however many
// servers run. Work itself lives in "sweep as of T" methods of the features,
// which are idempotent, so a job retried after a crash does no harm.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// Migrate brings River's own tables up to the version of the library; the
// migrate step runs it after wangge's SQL files.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate river: %w", err)
	}
	return nil
}

// Sweeper is a feature's timer: do everything due as of asOf, idempotently.
type Sweeper interface {
	Sweep(ctx context.Context, asOf time.Time) (int, error)
}

// SweepArgs names the sweeper to run and the moment to sweep as of (the
// time the job was scheduled, so a job run late still sweeps as of then
// and a later one catches up).
type SweepArgs struct {
	Name string    `json:"name"`
	AsOf time.Time `json:"as_of"`
}

// Kind is River's name of the job.
func (SweepArgs) Kind() string { return "wangge_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	sweepers map[string]Sweeper
	logger   *slog.Logger
}

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	s, ok := w.sweepers[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("jobs: no sweeper %q", job.Args.Name))
	}
	asOf := job.Args.AsOf
	if asOf.IsZero() {
		asOf = time.Now()
	}
	n, err := s.Sweep(ctx, asOf)
	if err != nil {
		return fmt.Errorf("jobs: sweep %s as of %s: %w", job.Args.Name, asOf.Format(time.RFC3339), err)
	}
	if n > 0 {
		w.logger.Info("sweep", "name", job.Args.Name, "as_of", asOf, "changed", n)
	}
	return nil
}

// Timer is one periodic sweep.
type Timer struct {
	Name    string
	Every   time.Duration
	Sweeper Sweeper
}

// Runner is the River client with wangge's timers registered.
type Runner struct {
	client *river.Client[pgx.Tx]
}

// New builds a runner for timers; Start begins working.
func New(pool *pgxpool.Pool, logger *slog.Logger, timers ...Timer) (*Runner, error) {
	if logger == nil {
		logger = slog.Default()
	}
	workers := river.NewWorkers()
	w := &sweepWorker{sweepers: map[string]Sweeper{}, logger: logger}
	river.AddWorker(workers, w)
	var periodic []*river.PeriodicJob
	for _, t := range timers {
		w.sweepers[t.Name] = t.Sweeper
		name := t.Name
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(t.Every),
			func() (river.JobArgs, *river.InsertOpts) {
				return SweepArgs{Name: name, AsOf: time.Now()}, &river.InsertOpts{MaxAttempts: 5}
			}, &river.PeriodicJobOpts{ID: "sweep:" + name, RunOnStart: true}))
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:      workers,
		PeriodicJobs: periodic,
		Logger:       logger.With("component", "river"),
		JobTimeout:   5 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Runner{client: client}, nil
}

// Start runs jobs until Stop.
func (r *Runner) Start(ctx context.Context) error { return r.client.Start(ctx) }

// Stop lets running jobs finish (until ctx ends) and stops.
func (r *Runner) Stop(ctx context.Context) error { return r.client.Stop(ctx) }

// SweepNow enqueues one sweep as of asOf (the CLI and tests use it).
func (r *Runner) SweepNow(ctx context.Context, name string, asOf time.Time) error {
	_, err := r.client.Insert(ctx, SweepArgs{Name: name, AsOf: asOf}, nil)
	if err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", name, err)
	}
	return nil
}
