package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// Retention is what is kept of past sweeps: storage.retention for the
// stored runs and report.keep for the report folders. The zero value keeps
// everything.
type Retention struct {
	Runs    storage.Retention
	Reports int // report folders to keep, the newest; 0 keeps them all
}

// KeepsAll reports whether r keeps every run and every report folder.
func (r Retention) KeepsAll() bool { return r.Runs.KeepsAll() && r.Reports == 0 }

// Pruned is what ApplyRetention removed (in a dry run, would remove).
type Pruned struct {
	Runs    storage.PruneResult    `json:"runs"`
	Folders []report.RemovedFolder `json:"report_folders"`
}

// FolderBytes is the size of the report folders removed.
func (p Pruned) FolderBytes() int64 {
	var n int64
	for _, f := range p.Folders {
		n += f.Bytes
	}
	return n
}

// ApplyRetention removes the runs r.Runs does not keep (see storage.Prune:
// stale interrupted and failed runs go whatever the policy) and the report
// folders of reportDir beyond r.Reports (see report.KeepFolders); with
// dryRun it removes nothing and says what it would remove. The caller
// holds the database lock. Both parts are tried: an error of one does not
// stop the other, and the errors are joined.
func ApplyRetention(ctx context.Context, db *storage.DB, reportDir string, r Retention, dryRun bool) (Pruned, error) {
	var p Pruned
	var errs []error
	res, err := db.Prune(ctx, r.Runs, dryRun)
	if err != nil {
		errs = append(errs, err)
	} else {
		p.Runs = res
	}
	folders, err := report.KeepFolders(reportDir, r.Reports, dryRun)
	if err != nil {
		errs = append(errs, fmt.Errorf("report.keep: %w", err))
	}
	p.Folders = folders
	return p, errors.Join(errs...)
}

// applyRetention is a complete sweep's last step, while it still holds the
// lock and its report is in place: it applies the configured retention
// and logs what went. A failure is logged and never changes the sweep's
// outcome: the night's report is written and recorded already. With no
// retention configured nothing is removed, not even stale runs: the
// default keeps everything, and `mcawatch prune` removes those on request.
func applyRetention(ctx context.Context, db *storage.DB, opts SweepOptions, log *slog.Logger) {
	if opts.Retention.KeepsAll() {
		return
	}
	r := opts.Retention
	if r.Runs.KeepsAll() {
		// report.keep alone: the runs are kept, stale ones included.
		folders, err := report.KeepFolders(opts.Report.Dir, r.Reports, false)
		logPruned(Pruned{Folders: folders}, false, log)
		if err != nil {
			log.Warn("retention failed; the sweep's report is in place", "err", err)
		}
		return
	}
	p, err := ApplyRetention(ctx, db, opts.Report.Dir, r, false)
	logPruned(p, true, log)
	if err != nil {
		log.Warn("retention failed; the sweep's report is in place", "err", err)
	}
}

// logPruned logs each removed run and folder, then one summary line.
func logPruned(p Pruned, runs bool, log *slog.Logger) {
	for _, run := range p.Runs.Removed {
		log.Info("retention removed run", "removed_run_id", run.ID, "kind", run.Kind,
			"started", run.Started.UTC(), "state", run.State, "reason", run.Reason())
	}
	for _, f := range p.Folders {
		log.Info("report.keep removed report folder", "path", f.Path, "bytes", f.Bytes)
	}
	attrs := []any{"report_folders_removed", len(p.Folders), "report_bytes_freed", p.FolderBytes()}
	if runs {
		attrs = append(attrs, "runs_removed", len(p.Runs.Removed), "db_bytes_before", p.Runs.BytesBefore,
			"db_bytes_after", p.Runs.BytesAfter)
	}
	log.Info("retention applied", attrs...)
}
