package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDB_Lock(t *testing.T) {
	c := newClock()
	holder := mustOpenDB(t, c)
	// A second Open of the same file is a separate open file description,
	// and flock conflicts between those even inside one process.
	other := mustOpenPath(t, holder.Path(), c)

	unlock, err := holder.Lock()
	if err != nil {
		t.Fatalf("Lock(): %v", err)
	}
	_, err = other.Lock()
	var locked *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &locked) {
		t.Fatalf("second Lock() error = %v, want a *LockedError", err)
	}
	if got, want := err.Error(), "another mcawatch process holds the lock on "+holder.Path()+".lock"; got != want {
		t.Fatalf("second Lock() = %q, want %q", got, want)
	}

	run := mustBegin(t, holder, testCustomers(2))
	_, err = other.Lock()
	if got, want := errString(err), "run 1 is in progress since 2026-11-22T02:00:00Z (pid 4242 on host build-7)"; got != want {
		t.Fatalf("second Lock() during run = %q, want %q", got, want)
	}

	// The holder goes away without finishing its run: the next Lock takes
	// over and marks the run interrupted.
	if err := unlock(); err != nil {
		t.Fatalf("unlock(): %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatalf("second unlock(): %v", err)
	}
	unlock2, err := other.Lock()
	if err != nil {
		t.Fatalf("Lock() after unlock: %v", err)
	}
	defer unlock2()
	got, err := other.Run(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateInterrupted {
		t.Fatalf("orphaned run state = %s, want %s", got.State, StateInterrupted)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// A second sweep reaching the same database through a symbolic link, or
// through a path with .. in it, finds it locked and leaves the running
// sweep's run alone.
func TestDB_Lock_SameFileByAnotherNameIsLocked(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	c := newClock()
	holder := mustOpenPath(t, filepath.Join(dir, "data", "mcawatch.db"), c)
	unlock, err := holder.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	run := mustBegin(t, holder, testCustomers(2))

	if err := os.Symlink(filepath.Join(dir, "data", "mcawatch.db"), filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "data"), filepath.Join(dir, "datalink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	// deep/.. is data, as the system reads the path, not dir.
	if err := os.Mkdir(filepath.Join(dir, "data", "deeper"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "data", "deeper"), filepath.Join(dir, "deep")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"link.db", "datalink/mcawatch.db", "data/../data/./mcawatch.db", "x/../data/mcawatch.db",
		"deep/../mcawatch.db"} {
		t.Run(name, func(t *testing.T) {
			other := mustOpenPath(t, dir+string(filepath.Separator)+name, c)
			real, err := filepath.EvalSymlinks(holder.Path())
			if err != nil {
				t.Fatal(err)
			}
			if got := other.Path(); name == "deep/../mcawatch.db" && got != real {
				t.Fatalf("Path() of %s = %s, want %s", name, got, real)
			}
			unlock, err := other.Lock()
			if err == nil {
				unlock()
			}
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("Lock() through %s = %v, want ErrLocked", name, err)
			}
			if got, err := holder.Run(run.ID); err != nil || got.State != StateRunning {
				t.Fatalf("running run after a Lock() through %s: %s (%v), want still running", name, got.State, err)
			}
		})
	}
}
