package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// FolderName is the name of a run's report folder:
// "<UTC YYYYMMDDTHHMMSSZ of run.Started>-run<ID>". Write adds "-2", "-3", …
// when that name is taken: a re-render of the run, or a run with the same
// id and start second from another database sharing the report dir.
func FolderName(run storage.Run) string {
	return fmt.Sprintf("%s-run%d", run.Started.UTC().Format("20060102T150405Z"), run.ID)
}

// maxFolderTries bounds the "-N" suffixes Write tries for one run.
const maxFolderTries = 1000

// tempPrefix is the start of the name of the temporary folder a report of
// the run folder name is written into: hidden, the folder name, and the
// writing process's id, so a leftover can be proven ours and not in use.
// os.MkdirTemp adds random digits after it.
func tempPrefix(name string) string {
	return fmt.Sprintf(".tmp-%s-p%d-", name, os.Getpid())
}

// leftoverName matches the temporary folders Write makes (group 1: the pid)
// and those of earlier versions, which had no pid. Nothing else in a report
// dir is ever removed.
var leftoverName = regexp.MustCompile(`^\.tmp-\d{8}T\d{6}Z-run\d+(?:-p(\d+))?-\d+$`)

// How long a temporary folder must have been left alone before
// CleanLeftovers removes it. A report is written in seconds; a folder whose
// writer is gone is removed after LeftoverGrace (the grace covers a writer
// on another host sharing the report dir, whose pid means nothing here),
// any other after LeftoverAge.
const (
	LeftoverGrace = 10 * time.Minute
	LeftoverAge   = 24 * time.Hour
)

// CleanLeftovers removes from dir the temporary report folders that a killed
// sweep left behind: only folders whose name is one Write gives them
// (".tmp-<run folder name>-p<pid>-<digits>", or the same without "-p<pid>"
// from earlier versions), that are real folders (not symlinks), and that are
// provably not in use: their writer's process is gone and they have not
// changed for LeftoverGrace, or they have not changed for LeftoverAge. now
// is compared with the folders' modification times, so it is the wall
// clock. It returns the paths it removed; an error names what it could not
// read or remove, after trying every leftover.
func CleanLeftovers(dir string, now time.Time) (removed []string, err error) {
	matches, err := foldersNamed(dir, leftoverName)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, f := range matches {
		e, m := f.entry, f.match
		path := filepath.Join(dir, e.Name())
		info, err := os.Lstat(path)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if !info.IsDir() || !abandoned(m[1], now.Sub(info.ModTime())) {
			continue
		}
		if err := os.RemoveAll(path); err != nil {
			errs = append(errs, fmt.Errorf("remove leftover %s: %w", e.Name(), err))
			continue
		}
		removed = append(removed, path)
	}
	return removed, errors.Join(errs...)
}

// namedFolder is a folder whose name matched a pattern, with the submatches.
type namedFolder struct {
	entry fs.DirEntry
	match []string
}

// foldersNamed lists the folders of dir (not links or files) whose names
// match re; a dir that does not exist has none.
func foldersNamed(dir string, re *regexp.Regexp) ([]namedFolder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("read report dir: %w", err)
	}
	var folders []namedFolder
	for _, e := range entries {
		if m := re.FindStringSubmatch(e.Name()); m != nil && e.Type()&fs.ModeType == fs.ModeDir {
			folders = append(folders, namedFolder{entry: e, match: m})
		}
	}
	return folders, nil
}

// abandoned decides whether a temporary folder written by process pid (""
// when the name holds none) and left alone for idle is no longer in use.
func abandoned(pid string, idle time.Duration) bool {
	if idle >= LeftoverAge {
		return true
	}
	if pid == "" || idle < LeftoverGrace {
		return false
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 || n == os.Getpid() {
		return false
	}
	return !processAlive(n)
}

// placeFolder moves the finished temporary folder tmp to a new folder of dir
// named name, or name-2, name-3, … when that is taken, and returns its path.
// A name is taken by creating it (os.Mkdir fails when it exists), so an
// existing folder — ours or anyone's — is never replaced or removed.
func placeFolder(tmp, dir, name string) (string, error) {
	for n := 1; n <= maxFolderTries; n++ {
		final := name
		if n > 1 {
			final = fmt.Sprintf("%s-%d", name, n)
		}
		path := filepath.Join(dir, final)
		ok, err := claimFolder(tmp, path)
		if err != nil {
			return "", err
		}
		if ok {
			return path, nil
		}
	}
	return "", fmt.Errorf("report folder %s: %d names taken", name, maxFolderTries)
}
