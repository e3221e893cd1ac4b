//go:build !unix

package storage

import (
	"errors"
	"os"
)

// tryLock is not implemented off Unix: mcawatch runs its sweeps on Linux.
func tryLock(*os.File) (bool, error) {
	return false, errors.New("sweep lock not supported on this platform")
}
