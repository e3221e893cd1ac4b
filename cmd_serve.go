package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// runServe is "mcawatch serve": sweeps on the configured cron schedule until
// SIGINT or SIGTERM.
func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, true)
	now := fs.Bool("now", false, "also run a sweep at start, before the schedule's first tick")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, log, err := m.loadForSweep(c)
	if err != nil {
		return err
	}
	sched, err := config.ParseSchedule(cfg.Schedule.Cron)
	if err != nil {
		return usage(fmt.Errorf("schedule.cron: %w", err))
	}
	ops := &serveOps{health: &jobs.Health{}, metrics: jobs.NewMetrics(buildVersion())}
	if cfg.Serve.Listen != "" {
		stop, err := m.listenOps(ctx, cfg.Serve.Listen, ops, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("serving", "schedule", cfg.Schedule.Cron, "database", cfg.Storage.Path, "report_dir", cfg.Report.Dir, "listen", cfg.Serve.Listen)
	return jobs.Serve(ctx, jobs.ServeOptions{
		Schedule:   sched,
		Logger:     log,
		RunAtStart: *now,
		Next:       ops.metrics.SetNextRun,
		Sweep: func(ctx context.Context) error {
			return m.scheduledSweep(ctx, cfg, log, ops)
		},
	})
}

// serveOps is what serve tells /healthz and /metrics.
type serveOps struct {
	health  *jobs.Health
	metrics *jobs.Metrics
}

// listenOps serves /healthz and /metrics on addr until stop is called. The
// address is bound before the first sweep, so a port in use is a clear
// error at start, not a silent absence.
func (m *Main) listenOps(ctx context.Context, addr string, ops *serveOps, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve.listen: %w", err)
	}
	srv := &http.Server{Handler: jobs.OpsHandler(ops.health, ops.metrics), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("health and metrics endpoint stopped", "err", err)
		}
	}()
	log.Info("health and metrics endpoint listening", "addr", ln.Addr().String(), "healthz", "/healthz", "metrics", "/metrics")
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}, nil
}

// scheduledSweep is one tick's sweep: a fresh client (so a new correlation
// id) and a fresh database handle each time, so one bad night does not
// poison the next.
func (m *Main) scheduledSweep(ctx context.Context, cfg config.Config, log *slog.Logger, ops *serveOps) (err error) {
	started := m.Now()
	var (
		out     *jobs.Outcome
		stats   fetch.Stats
		skipped bool
	)
	// Health and metrics take every sweep's outcome, however it ended,
	// except a tick skipped because another sweep holds the database. A
	// sweep cut short by a shutdown counts as interrupted, whatever error
	// the cancellation caused.
	defer func() {
		if skipped {
			return
		}
		got := err
		if ctx.Err() != nil && got != nil && !errors.Is(got, jobs.ErrInterrupted) {
			got = fmt.Errorf("%w: %w", jobs.ErrInterrupted, got)
		}
		var rep *report.Report
		if out != nil {
			rep = out.Report
		}
		ops.metrics.ObserveSweep(started, m.Now().Sub(started), rep, stats, got)
		ops.health.Record(started, got)
	}()
	setup, err := prepareSweep(cfg, log, false)
	if err != nil {
		m.notifySetupFailure(ctx, cfg, "run", err, log)
		return err
	}
	defer setup.db.Close()
	opts := setup.options()
	opts.Kind = "run"
	opts.Report = writeOptions(cfg)
	if sched, err := config.ParseSchedule(cfg.Schedule.Cron); err == nil {
		// The Summary says when the next sweep comes.
		opts.Report.NextRun = sched.Next(m.Now())
	}
	opts.Logger = log
	opts.Now = m.Now
	out, err = jobs.Sweep(ctx, setup.db, setup.client, opts)
	stats = setup.client.Stats()
	if errors.Is(err, storage.ErrLocked) {
		log.Warn("another sweep holds the database: tick skipped", "err", err)
		skipped = true
		return nil
	}
	return err
}
