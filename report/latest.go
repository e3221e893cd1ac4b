package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// LatestName is the entry of the report dir that names the newest sweep's
// report folder: a symbolic link to it, so a bookmark or a shared drive can
// always open <report.dir>/latest/report.xlsx. On Windows, where making
// symbolic links needs a privilege most accounts lack, it is the text file
// LatestTextName holding the folder's name instead.
const (
	LatestName     = "latest"
	LatestTextName = "latest.txt"
)

// RerenderFolderName is the folder name of a re-render of run made at t:
// "<FolderName(run)>-rerender-<UTC YYYYMMDDTHHMMSSZ of t>", so it never
// takes the sweep's own folder name.
func RerenderFolderName(run storage.Run, t time.Time) string {
	return FolderName(run) + "-rerender-" + t.UTC().Format("20060102T150405Z")
}

// latestTemp matches the temporary links UpdateLatest makes (group 1: the
// pid), so one left by a killed process can be proven ours and removed.
var latestTemp = regexp.MustCompile(`^\.latest-p(\d+)-\d+$`)

// UpdateLatest points <dir>/latest at folder (a folder of dir) atomically:
// it makes a new symbolic link under a temporary name and renames it over
// the old one, so a reader resolving latest finds the old report or the new
// one, never nothing and never half a report. The link is relative, so the
// report dir can be moved or mounted elsewhere. An existing latest that is
// not a symbolic link is someone else's and is left alone (an error). On
// Windows it writes latest.txt the same way (a temporary file renamed over
// the old one) instead.
func UpdateLatest(dir, folder string) error {
	name := filepath.Base(folder)
	if runtime.GOOS == "windows" {
		return writeLatestText(dir, name)
	}
	removeStaleLatestTemps(dir)
	link := filepath.Join(dir, LatestName)
	if info, err := os.Lstat(link); err == nil && info.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("%s exists and is not a link mcawatch made: leaving it alone", link)
	}
	for try := 0; ; try++ {
		tmp := filepath.Join(dir, fmt.Sprintf(".latest-p%d-%d", os.Getpid(), time.Now().UnixNano()+int64(try)))
		err := os.Symlink(name, tmp)
		if errors.Is(err, fs.ErrExist) && try < 10 {
			continue
		}
		if err != nil {
			return fmt.Errorf("link latest: %w", err)
		}
		if err := os.Rename(tmp, link); err != nil {
			_ = os.Remove(tmp)
			return fmt.Errorf("link latest: %w", err)
		}
		return nil
	}
}

// removeStaleLatestTemps removes temporary latest links whose process is
// gone (a kill between making and renaming one). Only symbolic links with
// our temporary name are touched.
func removeStaleLatestTemps(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		m := latestTemp.FindStringSubmatch(e.Name())
		if m == nil || e.Type()&fs.ModeSymlink == 0 {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}

// writeLatestText writes <dir>/latest.txt holding name, through a temporary
// file renamed over the old one.
func writeLatestText(dir, name string) (err error) {
	f, err := os.CreateTemp(dir, ".latest-*.txt")
	if err != nil {
		return fmt.Errorf("write latest.txt: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.WriteString(name + "\r\n"); err != nil {
		_ = f.Close()
		return fmt.Errorf("write latest.txt: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write latest.txt: %w", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, LatestTextName)); err != nil {
		return fmt.Errorf("write latest.txt: %w", err)
	}
	return nil
}
