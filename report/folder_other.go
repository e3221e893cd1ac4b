//go:build !unix

package report

import (
	"fmt"
	"os"
)

// processAlive cannot tell here: a leftover is then removed by age alone.
func processAlive(int) bool { return true }

// claimFolder renames tmp to path if path does not exist yet; false when it
// does. Outside unix, renaming a folder onto an existing name fails, which
// is the exclusive create; the check before it only tells "taken" from a
// real failure.
func claimFolder(tmp, path string) (bool, error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	}
	if err := os.Rename(tmp, path); err != nil {
		if _, statErr := os.Lstat(path); statErr == nil {
			return false, nil
		}
		return false, fmt.Errorf("rename report folder: %w", err)
	}
	return true, nil
}
