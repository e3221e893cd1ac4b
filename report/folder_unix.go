//go:build unix

package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// processAlive reports whether process pid exists on this host. Signal 0
// checks without sending anything; EPERM means it exists under another
// user.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// claimFolder renames tmp to path if path does not exist yet; false when it
// does. It first creates path empty, which fails if anything has that name,
// then renames tmp over its own empty folder: rename(2) replaces an empty
// directory atomically, so a reader sees either nothing, an empty folder for
// an instant, or the whole report. syscall.Rename, because os.Rename
// refuses any existing directory as the target.
func claimFolder(tmp, path string) (bool, error) {
	if err := os.Mkdir(path, 0o750); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("create report folder: %w", err)
	}
	if err := syscall.Rename(tmp, path); err != nil {
		// os.Remove removes only an empty folder: the one just made.
		_ = os.Remove(path)
		return false, fmt.Errorf("rename report folder: %w", &os.LinkError{Op: "rename", Old: tmp, New: path, Err: err})
	}
	return true, nil
}
