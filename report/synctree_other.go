//go:build !linux

package report

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// syncTree makes every file and folder under dir durable, one at a time
// (syncfs(2) is Linux's only).
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		defer f.Close()
		if err := f.Sync(); err != nil && d.Type().IsRegular() {
			return fmt.Errorf("sync %s: %w", path, err)
		}
		return nil
	})
}
