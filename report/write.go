package report

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// WriteOptions say where and how Write renders a report.
type WriteOptions struct {
	Dir             string               // report.dir; the run folder is created inside
	Formats         []string             // "xlsx", "csv" (default both)
	RelationshipURL string               // invitation link, used when the run stored none
	Trend           []storage.TrendPoint // last ≤ 30 complete runs, oldest first
	Now             func() time.Time     // document "created" property; time.Now if nil
	// CSVBOM writes a UTF-8 byte-order mark at the start of each CSV file
	// (report.csv_bom), for people who double-click them into Excel.
	CSVBOM bool
	// NextRun, when set, is when the scheduler (serve) runs the next
	// sweep: the Summary says so.
	NextRun time.Time
	// Rerender, when set, is the time of a re-render of a stored run
	// ("mcawatch report"): the folder is named FolderName(run) +
	// "-rerender-<UTC time>", and <Dir>/latest is left alone, since it
	// names the newest sweep's report.
	Rerender time.Time
	// SplitByReseller (report.split_by_reseller), on a report broken
	// down by reseller (Group), also writes one folder per reseller under
	// SplitDir holding only its customers, in the same atomic step.
	SplitByReseller bool
	// Phase, when set, is called as each format starts ("xlsx", "csv", "split"); the
	// function it returns is called when that format is written. Benchmarks
	// use it to time and measure the steps.
	Phase func(step string) (end func())

	// splitPart marks one reseller's part of a split report: its files are
	// left unsynced, as writeSplit syncs its thousands of files at once
	// afterwards (see syncTree), and its small workbook is compressed fast.
	splitPart bool
}

// phase starts step on p, which may be nil.
func phase(p func(string) func(), step string) (end func()) {
	if p == nil {
		return func() {}
	}
	return p(step)
}

// The formats Write knows.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
)

// Write renders r into a new folder of opts.Dir, FolderName(r.Run) (with
// "-2", "-3", … when that name is taken, see FolderName), and returns its
// path. Everything is written into a hidden temporary folder beside it,
// synced, then renamed into place, so a reader never sees half a report.
// An existing folder is never replaced: a re-render gets a folder of its
// own. Before writing, temporary folders that killed writers left behind
// are removed (see CleanLeftovers). On error nothing temporary is left
// behind.
func Write(r *Report, opts WriteOptions) (folder string, err error) {
	formats, err := checkFormats(opts.Formats)
	if err != nil {
		return "", err
	}
	if opts.Dir == "" {
		return "", errors.New("no report dir given")
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return "", fmt.Errorf("create report dir: %w", err)
	}
	// Folder times are wall-clock times, so the wall clock judges them.
	removed, cleanErr := CleanLeftovers(opts.Dir, time.Now())
	if len(removed) > 0 {
		slog.Info("removed leftover temporary report folders", "paths", removed)
	}
	if cleanErr != nil {
		// A leftover that cannot be removed costs disk space, not the
		// report.
		slog.Warn("leftover temporary report folders", "err", cleanErr)
	}
	name := FolderName(r.Run)
	if !opts.Rerender.IsZero() {
		name = RerenderFolderName(r.Run, opts.Rerender)
	}
	tmp, err := os.MkdirTemp(opts.Dir, tempPrefix(name))
	if err != nil {
		return "", fmt.Errorf("create temporary folder: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o750); err != nil {
		return "", fmt.Errorf("chmod temporary folder: %w", err)
	}
	if slices.Contains(formats, FormatXLSX) {
		end := phase(opts.Phase, FormatXLSX)
		err := writeXLSX(tmp, r, opts)
		end()
		if err != nil {
			return "", err
		}
	}
	if slices.Contains(formats, FormatCSV) {
		end := phase(opts.Phase, FormatCSV)
		for _, t := range tables(r) {
			if err = writeCSV(tmp, t, opts.CSVBOM); err != nil {
				break
			}
		}
		end()
		if err != nil {
			return "", err
		}
	}
	if opts.SplitByReseller && r.grouping != nil {
		end := phase(opts.Phase, "split")
		err := writeSplit(tmp, r, opts, formats)
		end()
		if err != nil {
			return "", err
		}
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	if folder, err = placeFolder(tmp, opts.Dir, name); err != nil {
		return "", err
	}
	if err := syncDir(opts.Dir); err != nil {
		return folder, err
	}
	if opts.Rerender.IsZero() {
		// The report is in place whatever happens to the pointer: a
		// pointer that cannot move costs a bookmark, not the report.
		if err := UpdateLatest(opts.Dir, folder); err != nil {
			slog.Warn("could not point latest at the new report", "dir", opts.Dir, "err", err)
		}
	}
	return folder, nil
}

// checkFormats validates the formats, defaulting to both.
func checkFormats(formats []string) ([]string, error) {
	if len(formats) == 0 {
		return []string{FormatXLSX, FormatCSV}, nil
	}
	for _, f := range formats {
		if f != FormatXLSX && f != FormatCSV {
			return nil, fmt.Errorf("unknown report format %q (want %q or %q)", f, FormatXLSX, FormatCSV)
		}
	}
	return formats, nil
}

// syncDir flushes a directory's entries to disk, so the renames survive a
// crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
