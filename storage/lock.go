package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked is matched (errors.Is) by the *LockedError Lock returns when
// another process holds the database's sweep lock.
var ErrLocked = errors.New("database is locked by another sweep")

// LockedError says who holds the sweep lock.
type LockedError struct {
	File  string    // the lock file
	RunID int64     // the newest running run, 0 if there is none
	Since time.Time // its start
	PID   int       // its process
	Host  string    // its host
}

// Error reads "run N is in progress since T (pid P on host H)", or names the
// lock file when no run is marked running.
func (e *LockedError) Error() string {
	if e.RunID == 0 {
		return fmt.Sprintf("another mcawatch process holds the lock on %s", e.File)
	}
	return fmt.Sprintf("run %d is in progress since %s (pid %d on host %s)",
		e.RunID, e.Since.UTC().Format(time.RFC3339), e.PID, e.Host)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock takes the one-sweep-per-database lock: a file lock on the database's
// real path (symbolic links resolved, so every name of one file takes one
// lock) plus ".lock", held until unlock is called or the process ends. Because the
// operating system releases it when its holder dies, a run still marked
// running when the lock is taken has lost its process: Lock marks it
// interrupted, ready to be resumed. If a live process holds the lock, the
// error is a *LockedError.
func (db *DB) Lock() (unlock func() error, err error) {
	file := db.file + ".lock"
	// gofrs/flock takes flock(2) on Unix and LockFileEx on Windows, so the
	// lock holds on every platform mcawatch is built for, and the system
	// releases it when its holder dies.
	fl := flock.New(file, flock.SetFlag(os.O_RDWR|os.O_CREATE), flock.SetPermissions(0o600))
	held, err := fl.TryLock()
	if err != nil {
		fl.Close()
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	if !held {
		fl.Close()
		return nil, db.lockedError(file)
	}
	var once sync.Once
	var unlockErr error
	unlock = func() error {
		once.Do(func() {
			// Unlocking closes the file; the file stays, because removing
			// it would let two processes lock two different files.
			if err := fl.Unlock(); err != nil {
				unlockErr = fmt.Errorf("unlock %s: %w", file, err)
			}
		})
		return unlockErr
	}
	if err := db.interruptOrphans(); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// lockedError describes the holder from the newest running run.
func (db *DB) lockedError(file string) error {
	e := &LockedError{File: file}
	var started int64
	err := db.reader.QueryRowContext(context.Background(),
		`SELECT id, started, pid, host FROM runs WHERE state = 'running' ORDER BY id DESC LIMIT 1`).
		Scan(&e.RunID, &started, &e.PID, &e.Host)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("%w (reading its run: %v)", e, err)
	default:
		e.Since = time.Unix(started, 0).UTC()
	}
	return e
}

// interruptOrphans marks interrupted every run left running by a dead
// process; it must only be called with the lock held.
func (db *DB) interruptOrphans() error {
	if _, err := db.writer.ExecContext(context.Background(),
		`UPDATE runs SET state = 'interrupted' WHERE state = 'running'`); err != nil {
		return fmt.Errorf("mark orphaned runs interrupted: %w", db.explain(err))
	}
	return nil
}
