package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// writeMetricsFile is run --metrics-file: the sweep's metrics, as serve's
// /metrics gives them, for node_exporter's textfile collector, so a cron
// job or a Kubernetes CronJob is watched like serve. It is written however
// the sweep ended (its outcome is one of the metrics), except when another
// sweep held the database: that sweep writes its own. A file that cannot
// be written is logged and leaves the exit status what the sweep earned.
func (m *Main) writeMetricsFile(ctx context.Context, path string, started time.Time, out *jobs.Outcome, stats fetch.Stats, err error, log *slog.Logger) {
	if errors.Is(err, storage.ErrLocked) {
		return
	}
	if ctx.Err() != nil && err != nil && !errors.Is(err, jobs.ErrInterrupted) {
		err = fmt.Errorf("%w: %w", jobs.ErrInterrupted, err)
	}
	var rep *report.Report
	if out != nil {
		rep = out.Report
	}
	metrics := jobs.NewMetrics(version)
	metrics.ObserveSweep(started, m.Now().Sub(started), rep, stats, err)
	if werr := metrics.WriteFile(path); werr != nil {
		log.Error("metrics file not written", "path", path, "err", werr)
	}
}
