package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
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
	failOnFlag := fs.String("fail-on", "", "exit 3 when the report has `missing` rows, or `changes` (new, removed or newly missing)")
	resume := fs.Bool("resume", false, "continue the newest interrupted run instead of starting a new one")
	var since string
	if kind == "backfill" {
		fs.StringVar(&since, "since", "", "on a first run, report acceptances dated on or after `DATE` (YYYY-MM-DD) as new")
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	mode, err := parseFailOn(*failOnFlag)
	if err != nil {
		return err
	}
	sinceTime, err := parseSince(since)
	if err != nil {
		return err
	}
	cfg, log, err := m.loadForSweep(c)
	if err != nil {
		return err
	}
	customers, client, db, err := prepareSweep(cfg, log, *resume)
	if err != nil {
		return err
	}
	defer db.Close()

	var progress jobs.Progress
	if kind == "backfill" {
		progress = m.newProgress(log)
	}
	out, err := jobs.Sweep(ctx, db, client, jobs.SweepOptions{
		Kind:      kind,
		Resume:    *resume,
		Customers: customers,
		Types:     cfg.Agreements.Types,
		Required:  cfg.Agreements.Required,
		Since:     sinceTime,
		Report:    writeOptions(cfg),
		Progress:  progress,
		Logger:    log,
		Now:       m.Now,
	})
	if err != nil {
		return err
	}
	if err := m.printOutcome(out, *asJSON); err != nil {
		return err
	}
	return failOn(mode, out.Report.Summary)
}

// parseSince reads --since as a date or an RFC 3339 time, in UTC.
func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date like 2026-01-31", s)
}

// outcomeJSON is the --json output: one object, stable field names.
type outcomeJSON struct {
	RunID        int64  `json:"run_id"`
	ReportDir    string `json:"report_dir"`
	Customers    int    `json:"customers"`
	Accepted     int    `json:"accepted"`
	DirectSigned int    `json:"direct_signed"`
	Missing      int    `json:"missing"`
	New          int    `json:"new"`
	Removed      int    `json:"removed"`
	Errors       int    `json:"errors"`
	Joined       int    `json:"joined"`
	Left         int    `json:"left"`
	NewlyMissing int    `json:"newly_missing"`
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
		DirectSigned: s.DirectSigned, Missing: s.Missing, New: s.New, Removed: s.Removed,
		Errors: s.Errors, Joined: s.Joined, Left: s.Left, NewlyMissing: s.NewlyMissing,
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
