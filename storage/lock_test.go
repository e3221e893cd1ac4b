package storage

import (
	"errors"
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
