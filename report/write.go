package report

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/mcawatch/mcawatch/storage"
)

// WriteOptions say where and how Write renders a report.
type WriteOptions struct {
	Dir             string               // report.dir; the run folder is created inside
	Formats         []string             // "xlsx", "csv" (default both)
	RelationshipURL string               // partner's invitation link, may be empty
	Trend           []storage.TrendPoint // last ≤ 30 complete runs, oldest first
	Now             func() time.Time     // document "created" property; time.Now if nil
	// Phase, when set, is called as each format starts ("xlsx", "csv"); the
	// function it returns is called when that format is written. Benchmarks
	// use it to time and measure the steps.
	Phase func(step string) (end func())
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

// FolderName is the name of a run's report folder:
// "<UTC YYYYMMDDTHHMMSSZ of run.Started>-run<ID>".
func FolderName(run storage.Run) string {
	return fmt.Sprintf("%s-run%d", run.Started.UTC().Format("20060102T150405Z"), run.ID)
}

// Write renders r into opts.Dir/FolderName(r.Run) and returns that folder's
// path. Everything is written into a hidden temporary folder beside it,
// synced, then renamed into place, so a reader never sees half a report; a
// report already there for the run (a re-render) is replaced. On error
// nothing temporary is left behind.
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
	name := FolderName(r.Run)
	tmp, err := os.MkdirTemp(opts.Dir, ".tmp-"+name+"-")
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
			if err = writeCSV(tmp, t); err != nil {
				break
			}
		}
		end()
		if err != nil {
			return "", err
		}
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	folder = filepath.Join(opts.Dir, name)
	if err := replaceDir(tmp, folder); err != nil {
		return "", err
	}
	return folder, syncDir(opts.Dir)
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

// replaceDir renames tmp to final. If final exists (a re-render), it is
// renamed aside first, and removed once the new folder is in place; if the
// second rename fails the old folder is put back.
func replaceDir(tmp, final string) error {
	err := os.Rename(tmp, final)
	if err == nil {
		return nil
	}
	if _, statErr := os.Lstat(final); statErr != nil {
		return fmt.Errorf("rename report folder: %w", err)
	}
	old := filepath.Join(filepath.Dir(final), ".old-"+filepath.Base(final)+"-"+uuid.NewString())
	if err := os.Rename(final, old); err != nil {
		return fmt.Errorf("move old report folder aside: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if backErr := os.Rename(old, final); backErr != nil {
			return errors.Join(fmt.Errorf("rename report folder: %w", err),
				fmt.Errorf("restore old report folder %s: %w", old, backErr))
		}
		return fmt.Errorf("rename report folder: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		// The new report is in place and complete: a leftover old folder
		// is worth a warning, not a failed run.
		slog.Warn("remove old report folder", "path", old, "err", err)
	}
	return nil
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
