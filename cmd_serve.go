package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/storage"
)

// runServe is "mcawatch serve": sweeps on the configured cron schedule until
// SIGINT or SIGTERM.
func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, true)
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, log, err := m.loadForSweep(c)
	if err != nil {
		return err
	}
	sched, err := config.ParseSchedule(cfg.Schedule.Cron)
	if err != nil {
		return fmt.Errorf("schedule.cron: %w", err)
	}
	log.Info("serving", "schedule", cfg.Schedule.Cron, "database", cfg.Storage.Path, "report_dir", cfg.Report.Dir)
	return jobs.Serve(ctx, jobs.ServeOptions{
		Schedule: sched,
		Logger:   log,
		Sweep: func(ctx context.Context) error {
			return m.scheduledSweep(ctx, cfg, log)
		},
	})
}

// scheduledSweep is one tick's sweep: a fresh client (so a new correlation
// id) and a fresh database handle each time, so one bad night does not
// poison the next.
func (m *Main) scheduledSweep(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	setup, err := prepareSweep(cfg, log, false)
	if err != nil {
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
	_, err = jobs.Sweep(ctx, setup.db, setup.client, opts)
	if errors.Is(err, storage.ErrLocked) {
		log.Warn("another sweep holds the database: tick skipped", "err", err)
		return nil
	}
	return err
}
