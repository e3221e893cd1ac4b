package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/mcawatch/mcawatch/jobs"
)

// runSweep is "mcawatch run" and "mcawatch backfill": one sweep now.
func (m *Main) runSweep(ctx context.Context, kind string, args []string) error {
	fs := flag.NewFlagSet(kind, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, true)
	asJSON := fs.Bool("json", false, "print one JSON object (run_id, report_dir, counts) instead of the report folder")
	failOnFlag := fs.String("fail-on", "", "exit 3 when the report has `missing` rows, missing or `outdated` rows, or `changes` (new, removed, newly missing or newly outdated)")
	resume := fs.Bool("resume", false, "continue the newest interrupted run (with the settings it was started with) instead of starting a new one")
	acceptDrop := fs.Bool("accept-drop", false, "confirm that the customer list really shrank beyond customers.max_drop")
	metricsFile := fs.String("metrics-file", "", "also write the sweep's metrics to `file` in the node_exporter textfile format (atomically)")
	var since sinceFlag
	if kind == "backfill" {
		fs.Var(&since, "since", "on a first run, report acceptances dated on or after `DATE` (YYYY-MM-DD) as new")
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	mode, err := parseFailOn(*failOnFlag)
	if err != nil {
		return err
	}
	if *resume && since.set {
		return usage(fmt.Errorf("%s: --since is stored with the run; a resumed run keeps the one it was started with", kind))
	}
	cfg, log, err := m.loadForSweep(c)
	if err != nil {
		return err
	}
	setup, err := prepareSweep(cfg, log, *resume)
	if err != nil {
		m.notifySetupFailure(ctx, cfg, kind, err, log)
		return err
	}
	defer setup.db.Close()

	opts := setup.options()
	opts.Kind = kind
	opts.Resume = *resume
	opts.AcceptDrop = *acceptDrop
	opts.Since = since.time()
	opts.Report = writeOptions(cfg)
	opts.Logger = log
	opts.Now = m.Now
	if opts.Notify != nil {
		opts.Notify.Sender.Sleep = m.NotifySleep
	}
	opts.Progress = m.newProgress(log)
	started := m.Now()
	out, err := jobs.Sweep(ctx, setup.db, setup.client, opts)
	if *metricsFile != "" {
		m.writeMetricsFile(ctx, *metricsFile, started, out, setup.client.Stats(), err, log)
	}
	if err != nil {
		return err
	}
	if err := m.printOutcome(out, *asJSON); err != nil {
		return err
	}
	return failOn(mode, out.Report.Summary)
}

// sinceFlag is --since: a date or an RFC 3339 time, in UTC. Whether it was
// given is kept apart from its value, because 0001-01-01 is a valid date
// and also Go's zero time.
type sinceFlag struct {
	t   time.Time
	set bool
}

func (f *sinceFlag) String() string {
	if f == nil || !f.set {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *sinceFlag) Set(s string) error {
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			f.t, f.set = t.UTC(), true
			return nil
		}
	}
	return fmt.Errorf("want a date like 2026-01-31")
}

// time is the value the sweep and the diff take, where the zero time means
// "not set": a --since at the zero instant (0001-01-01) becomes the first
// second after it, which every dated acceptance is at or after, as it is
// at or after 0001-01-01 itself.
func (f *sinceFlag) time() time.Time {
	if f.set && f.t.IsZero() {
		return f.t.Add(time.Second)
	}
	return f.t
}

// outcomeJSON is the --json output: one object, stable field names.
type outcomeJSON struct {
	RunID         int64  `json:"run_id"`
	ReportDir     string `json:"report_dir"`
	Customers     int    `json:"customers"`
	Accepted      int    `json:"accepted"`
	DirectSigned  int    `json:"direct_signed"`
	Missing       int    `json:"missing"`
	Outdated      int    `json:"outdated"`
	Blocked       int    `json:"blocked"`
	New           int    `json:"new"`
	Removed       int    `json:"removed"`
	Errors        int    `json:"errors"`
	Joined        int    `json:"joined"`
	Left          int    `json:"left"`
	NewlyMissing  int    `json:"newly_missing"`
	NewlyOutdated int    `json:"newly_outdated"`
}

// printOutcome prints the report folder as the last stdout line, or the
// JSON object with --json.
func (m *Main) printOutcome(out *jobs.Outcome, asJSON bool) error {
	if !asJSON {
		_, err := fmt.Fprintln(m.Stdout, out.Folder)
		return err
	}
	s := out.Report.Summary
	b, err := json.Marshal(outcomeJSON{
		RunID: out.Run.ID, ReportDir: out.Folder, Customers: s.Customers, Accepted: s.Accepted,
		DirectSigned: s.DirectSigned, Missing: s.Missing, Outdated: s.Outdated, Blocked: s.Blocked,
		New: s.New, Removed: s.Removed, Errors: s.Errors, Joined: s.Joined, Left: s.Left,
		NewlyMissing: s.NewlyMissing, NewlyOutdated: s.NewlyOutdated,
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(m.Stdout, string(b))
	return err
}

// newProgress shows a bar on a terminal and periodic log lines otherwise.
func (m *Main) newProgress(log *slog.Logger) jobs.Progress {
	if isTerminal(m.Stderr) {
		return &barProgress{m: m}
	}
	return &jobs.LogProgress{Logger: log, Every: 10 * time.Second, Now: m.Now}
}

// barProgress draws done/total, rate and ETA on the terminal.
type barProgress struct {
	m   *Main
	bar *progressbar.ProgressBar
}

func (p *barProgress) Start(total, done int) {
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.m.Stderr),
		progressbar.OptionSetDescription("customers"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("customers"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.m.Stderr) }),
	)
	_ = p.bar.Set(done)
}

func (p *barProgress) Add(n int) { _ = p.bar.Add(n) }
func (p *barProgress) Finish()   { _ = p.bar.Finish() }
