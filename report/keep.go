package report

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// reportFolderName matches the names Write gives report folders:
// FolderName ("<UTC start>-run<ID>"), RerenderFolderName (that and
// "-rerender-<UTC time>"), each with the "-N" placeFolder adds when the
// name is taken. Group 1 is the run's start, 2 the run id, 3 the
// re-render's time, 4 the N.
var reportFolderName = regexp.MustCompile(`^(\d{8}T\d{6}Z)-run(\d+)(?:-rerender-(\d{8}T\d{6}Z))?(?:-(\d+))?$`)

// RemovedFolder is a report folder KeepFolders removed (or, in a dry run,
// would remove).
type RemovedFolder struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"` // the size of the files it held
}

// reportFolder is a folder of the report dir that is provably a report
// folder, with what orders it: when it was made (the re-render's time, or
// the run's start), then the run id and the "-N".
type reportFolder struct {
	name   string
	made   string // UTC YYYYMMDDTHHMMSSZ, which sorts as time
	run    int64
	suffix int
}

// KeepFolders removes from dir the oldest report folders beyond the newest
// keep (report.keep); keep 0 keeps them all. With dryRun it removes
// nothing and returns what it would remove, oldest first.
//
// Only report folders are counted and removed: real folders (not symbolic
// links) whose name is one Write gives (FolderName or RerenderFolderName,
// with or without "-N") and that hold a report file Write writes. Files,
// links, temporary folders of a report being written (".tmp-…"), and
// every folder of another name are left alone and not counted. The newest
// report folder and the folder latest names are never removed, whatever
// keep says.
func KeepFolders(dir string, keep int, dryRun bool) ([]RemovedFolder, error) {
	if keep < 0 {
		return nil, fmt.Errorf("report.keep is %d: want 0 (keep all) or more", keep)
	}
	if keep == 0 {
		return nil, nil
	}
	folders, err := reportFolders(dir)
	if err != nil {
		return nil, err
	}
	if len(folders) <= keep {
		return nil, nil
	}
	latest := latestTarget(dir)
	var removed []RemovedFolder
	var errs []error
	// folders is newest first: the first keep stay, and so does the newest
	// whatever keep is.
	for i := len(folders) - 1; i >= keep && i > 0; i-- {
		f := folders[i]
		if f.name == latest {
			continue
		}
		path := filepath.Join(dir, f.name)
		size, err := treeBytes(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !dryRun {
			if err := os.RemoveAll(path); err != nil {
				errs = append(errs, fmt.Errorf("remove report folder %s: %w", f.name, err))
				continue
			}
		}
		removed = append(removed, RemovedFolder{Path: path, Bytes: size})
	}
	return removed, errors.Join(errs...)
}

// reportFolders lists the report folders of dir, newest first.
func reportFolders(dir string) ([]reportFolder, error) {
	matches, err := foldersNamed(dir, reportFolderName)
	if err != nil {
		return nil, err
	}
	var folders []reportFolder
	for _, nf := range matches {
		e, m := nf.entry, nf.match
		info, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil || !info.IsDir() || !holdsReport(filepath.Join(dir, e.Name())) {
			continue
		}
		f := reportFolder{name: e.Name(), made: m[1]}
		if m[3] != "" {
			f.made = m[3]
		}
		f.run, _ = strconv.ParseInt(m[2], 10, 64)
		if m[4] != "" {
			f.suffix, _ = strconv.Atoi(m[4])
		}
		folders = append(folders, f)
	}
	slices.SortFunc(folders, func(a, b reportFolder) int {
		return -cmp.Or(cmp.Compare(a.made, b.made), cmp.Compare(a.run, b.run), cmp.Compare(a.suffix, b.suffix),
			cmp.Compare(a.name, b.name))
	})
	return folders, nil
}

// reportFiles are the files Write puts at the top of every report folder,
// whatever its formats.
var reportFiles = []string{"report.xlsx", "missing.csv"}

// holdsReport reports whether the folder holds a report file as a regular
// file: a folder that merely has a report folder's name is not removed.
func holdsReport(path string) bool {
	for _, name := range reportFiles {
		if info, err := os.Lstat(filepath.Join(path, name)); err == nil && info.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// latestTarget is the name of the folder <dir>/latest (latest.txt on
// Windows) names, "" when there is none.
func latestTarget(dir string) string {
	if runtime.GOOS == "windows" {
		b, err := os.ReadFile(filepath.Join(dir, LatestTextName))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	target, err := os.Readlink(filepath.Join(dir, LatestName))
	if err != nil {
		return ""
	}
	return filepath.Base(filepath.Clean(target))
}

// treeBytes is the size of the regular files under path.
func treeBytes(path string) (int64, error) {
	var n int64
	err := filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of report folder %s: %w", filepath.Base(path), err)
	}
	return n, nil
}
