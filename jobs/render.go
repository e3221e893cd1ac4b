package jobs

import (
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// trendRuns is how many complete runs the Summary chart shows.
const trendRuns = 30

// RenderOptions say how to turn stored snapshots into reports.
type RenderOptions struct {
	Since time.Time           // on a first run, report acceptances dated since then as new
	Write report.WriteOptions // Write.Phase is also told of the steps "load" and "diff"
}

// Render diffs stored run runID against run againstID (0: the previous
// complete run whose report is in place) and writes its reports. It needs no network: everything comes
// from the database.
func Render(db *storage.DB, runID, againstID int64, opts RenderOptions) (*Outcome, error) {
	endLoad := phase(opts.Write.Phase, "load")
	defer func() { endLoad() }()
	run, err := db.Run(runID)
	if err != nil {
		return nil, fmt.Errorf("load run %d: %w", runID, err)
	}
	if run.State != storage.StateComplete {
		return nil, fmt.Errorf("run %d is %s, not complete: only complete runs have reports", runID, run.State)
	}
	if againstID == 0 {
		// The baseline is the last run whose report exists: a night whose
		// report failed is reported by the next one.
		p, err := db.PreviousReported(runID)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("previous run of %d: %w", runID, err)
		default:
			againstID = p.ID
		}
	}
	if againstID != 0 {
		if againstID >= runID {
			return nil, fmt.Errorf("run %d can only be compared with an earlier run, not %d", runID, againstID)
		}
		against, err := db.Run(againstID)
		if err != nil {
			return nil, fmt.Errorf("load run %d: %w", againstID, err)
		}
		if against.State != storage.StateComplete {
			return nil, fmt.Errorf("run %d is %s, not complete: compare with a complete run", againstID, against.State)
		}
	}
	// The two snapshots are loaded side by side, on two of the reader
	// pool's connections: loading is most of a report's time.
	var cur, prev *storage.Snapshot
	var g errgroup.Group
	g.Go(func() (err error) {
		if cur, err = db.LoadSnapshot(runID); err != nil {
			return fmt.Errorf("load run %d: %w", runID, err)
		}
		return nil
	})
	if againstID != 0 {
		g.Go(func() (err error) {
			if prev, err = db.LoadSnapshot(againstID); err != nil {
				return fmt.Errorf("load run %d: %w", againstID, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	trend, err := db.Trend(runID, trendRuns)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	endLoad()
	endLoad = func() {}
	endDiff := phase(opts.Write.Phase, "diff")
	r := report.Diff(prev, cur, report.DiffOptions{Since: opts.Since})
	switch g, err := db.LoadGrouping(runID); {
	case err == nil:
		report.Group(r, cur, g)
	case !errors.Is(err, storage.ErrNotFound):
		return nil, fmt.Errorf("resellers of run %d: %w", runID, err)
	}
	endDiff()
	// The report holds what the writers need: let the snapshots go before
	// writing, which at 100,000 customers would otherwise keep ~90 MB live
	// through the xlsx writer's own peak.
	run = cur.Run
	cur, prev = nil, nil
	w := opts.Write
	w.Trend = trend
	if w.RelationshipURL == "" {
		w.RelationshipURL = run.RelationshipURL
	}
	restore := collectSooner(writeGCPercent)
	folder, err := report.Write(r, w)
	restore()
	if err != nil {
		return nil, fmt.Errorf("write report of run %d: %w", runID, err)
	}
	return &Outcome{Run: run, Report: r, Folder: folder}, nil
}

// writeGCPercent is the garbage collector's target while a report is
// written. Most of the xlsx writer's peak heap is garbage of excelize's
// save: collecting at half the default growth took the 100,000-customer
// workbook's peak RSS from 240 to 199 MB in the same 2.8 s
// (BenchmarkWriteXLSX with GOGC=50), which keeps the whole job's process
// under the 300 MB budget while it writes.
const writeGCPercent = 50

// collectSooner lowers the garbage collector's target to percent, unless
// it is lower already or the collector is off (GOGC), and returns what
// puts the previous target back.
func collectSooner(percent int) (restore func()) {
	old := debug.SetGCPercent(percent)
	if old < 0 || old <= percent {
		debug.SetGCPercent(old)
		return func() {}
	}
	return func() { debug.SetGCPercent(old) }
}
