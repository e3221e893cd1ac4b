package jobs

import (
	"errors"
	"fmt"
	"time"

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
// complete run) and writes its reports. It needs no network: everything comes
// from the database.
func Render(db *storage.DB, runID, againstID int64, opts RenderOptions) (*Outcome, error) {
	endLoad := phase(opts.Write.Phase, "load")
	defer func() { endLoad() }()
	cur, err := db.LoadSnapshot(runID)
	if err != nil {
		return nil, fmt.Errorf("load run %d: %w", runID, err)
	}
	if cur.Run.State != storage.StateComplete {
		return nil, fmt.Errorf("run %d is %s, not complete: only complete runs have reports", runID, cur.Run.State)
	}
	var prev *storage.Snapshot
	if againstID == 0 {
		p, err := db.PreviousComplete(runID)
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
		prev, err = db.LoadSnapshot(againstID)
		if err != nil {
			return nil, fmt.Errorf("load run %d: %w", againstID, err)
		}
		if prev.Run.State != storage.StateComplete {
			return nil, fmt.Errorf("run %d is %s, not complete: compare with a complete run", againstID, prev.Run.State)
		}
	}
	trend, err := db.Trend(runID, trendRuns)
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	endLoad()
	endLoad = func() {}
	endDiff := phase(opts.Write.Phase, "diff")
	r := report.Diff(prev, cur, report.DiffOptions{Since: opts.Since})
	endDiff()
	w := opts.Write
	w.Trend = trend
	folder, err := report.Write(r, w)
	if err != nil {
		return nil, fmt.Errorf("write report of run %d: %w", runID, err)
	}
	return &Outcome{Run: cur.Run, Report: r, Folder: folder}, nil
}
