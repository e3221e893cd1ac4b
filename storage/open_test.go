package storage

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The commands that only read never create a database: a mistyped --db is
// an error naming the path, and no file appears.
func TestOpen_ReadOnlyNeverCreatesADatabase(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"mcawatch.db", "no-such-dir/mcawatch.db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			db, err := Open(path, Options{ReadOnly: true})
			if err == nil {
				db.Close()
				t.Fatalf("Open(%s, ReadOnly) = nil error, want one", path)
			}
			if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open(%s, ReadOnly) error = %v, want fs.ErrNotExist naming the path", path, err)
			}
			if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Open(ReadOnly) left a file at %s (%v)", path, err)
			}
		})
	}
	// An existing database opens and reads.
	path := filepath.Join(dir, "existing.db")
	rw := mustOpenPath(t, path, newClock())
	mustBegin(t, rw, testCustomers(1))
	rw.Close()
	db, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open(existing, ReadOnly): %v", err)
	}
	defer db.Close()
	if runs, err := db.ListRuns(); err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns() = %d runs (%v), want 1", len(runs), err)
	}
}

// A database path that is a symbolic link to nothing gets a message that
// says so, and nothing is created at the link's target.
func TestOpen_DanglingSymlinkSaysSo(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "gone", "mcawatch.db")
	link := filepath.Join(dir, "rlink2")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(link, Options{ReadOnly: ro})
		want := "open database " + link + ": it is a symbolic link to " + target + ", which cannot be opened"
		if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Open(dangling link, ReadOnly=%v) = %v, want %q…", ro, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "gone")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open() created the link's target folder (%v)", err)
	}
}

// An existing database others can read is tightened to 0600, and Open says
// so.
func TestOpen_LooseModeIsTightenedAndReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	db := mustOpenPath(t, path, nil)
	if _, ok := db.Tightened(); ok {
		t.Fatal("Tightened() on a new database = true, want false")
	}
	db.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	db, err := Open(path, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("mode after Open = %04o, want 0600", got)
	}
	if from, ok := db.Tightened(); !ok || from != 0o644 {
		t.Fatalf("Tightened() = %04o, %v; want 0644, true", from, ok)
	}
	if want := "tightened mode of " + path + " from 0644 to 0600"; !strings.Contains(log.String(), want) ||
		!strings.Contains(log.String(), "level=WARN") {
		t.Fatalf("log = %q, want a warning %q", log.String(), want)
	}
}
