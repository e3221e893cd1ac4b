package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/storage"
)

// retention is the config's storage.retention and report.keep as the
// sweep and prune apply them.
func retention(cfg config.Config) jobs.Retention {
	r := cfg.Storage.Retention
	return jobs.Retention{
		Runs:    storage.Retention{KeepLast: r.KeepLast, KeepDaily: r.KeepDaily, KeepWeekly: r.KeepWeekly, KeepMonthly: r.KeepMonthly},
		Reports: cfg.Report.Keep,
	}
}

// runPrune is "mcawatch prune": applies storage.retention and report.keep
// now, holding the sweep lock, and prints what it removed (with --dry-run,
// what it would remove, changing nothing). It never creates a database.
func (m *Main) runPrune(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("prune", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	var c commonFlags
	c.register(fs, true)
	dryRun := fs.Bool("dry-run", false, "print what would be removed and change nothing")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, db, err := m.openStore(c)
	if err != nil {
		return err
	}
	defer db.Close()
	// A sweep must not start while runs are removed, nor prune run while
	// a sweep writes: the same lock, exit 5 when it is held.
	unlock, err := db.Lock()
	if err != nil {
		return err
	}
	p, err := jobs.ApplyRetention(ctx, db, cfg.Report.Dir, retention(cfg), *dryRun)
	if uerr := unlock(); uerr != nil {
		err = errors.Join(err, fmt.Errorf("release database lock: %w", uerr))
	}
	printPruned(m.Stdout, p, *dryRun)
	return err
}

// printPruned prints the removed runs and report folders, then the space
// given back.
func printPruned(w io.Writer, p jobs.Pruned, dryRun bool) {
	verb := "Removed"
	if dryRun {
		verb = "Would remove"
	}
	if len(p.Runs.Removed) == 0 {
		fmt.Fprintf(w, "%s no runs.\n", verb)
	} else {
		fmt.Fprintf(w, "%s %s:\n", verb, count(len(p.Runs.Removed), "run"))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  RUN\tKIND\tSTARTED (UTC)\tSTATE\tREASON")
		for _, r := range p.Runs.Removed {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Started.UTC().Format("2006-01-02 15:04:05"), r.State, r.Reason())
		}
		tw.Flush()
	}
	if len(p.Folders) == 0 {
		fmt.Fprintf(w, "%s no report folders.\n", verb)
	} else {
		fmt.Fprintf(w, "%s %s:\n", verb, count(len(p.Folders), "report folder"))
		for _, f := range p.Folders {
			fmt.Fprintf(w, "  %s  (%s)\n", f.Path, formatBytes(f.Bytes))
		}
	}
	if dryRun {
		fmt.Fprintf(w, "Dry run: nothing was changed. Pruning would give back %s of report folders, and from the database (%s now) the space those runs hold.\n",
			formatBytes(p.FolderBytes()), formatBytes(p.Runs.BytesBefore))
		return
	}
	freed := p.Runs.BytesBefore - p.Runs.BytesAfter
	fmt.Fprintf(w, "Gave back %s: database %s → %s, report folders %s.\n",
		formatBytes(max(freed, 0)+p.FolderBytes()), formatBytes(p.Runs.BytesBefore), formatBytes(p.Runs.BytesAfter),
		formatBytes(p.FolderBytes()))
}

// formatBytes is n in the largest unit that keeps it at 1 or more.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[i])
}

// count is "1 run" or "2 runs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
