package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/storage"
)

// runReport is "mcawatch report": re-renders the reports of a stored run,
// with no network, into a new folder of the report dir
// ("<run folder>-rerender-<UTC time>"), never over a sweep's report.
func (m *Main) runReport(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, true)
	runID := fs.Int64("run", 0, "run `ID` to report (default: the newest complete run)")
	against := fs.Int64("against", 0, "compare with run `ID` (default: the complete run before --run)")
	var since sinceFlag
	fs.Var(&since, "since", "with no earlier run, report acceptances dated on or after `DATE` as new (default: the --since the run was started with)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the report folder")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, db, err := m.openStore(c)
	if err != nil {
		return err
	}
	defer db.Close()
	id := *runID
	if id == 0 {
		run, err := db.LatestRun(storage.StateComplete)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no complete run in %s: run a sweep first", cfg.Storage.Path)
		}
		if err != nil {
			return err
		}
		id = run.ID
	}
	sinceTime := since.time()
	if !since.set {
		run, err := db.Run(id)
		if err != nil {
			return err
		}
		sinceTime = run.Since
	}
	// A re-render gets a folder of its own, named for the run and the
	// time of the re-render, and leaves latest on the newest sweep.
	w := writeOptions(cfg)
	w.Rerender = m.Now()
	out, err := jobs.Render(db, id, *against, jobs.RenderOptions{Since: sinceTime, Write: w})
	if err != nil {
		return err
	}
	return m.printOutcome(out, *asJSON)
}
