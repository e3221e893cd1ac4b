package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A command that only reads (runs, history, prune --dry-run) opens the
// database and closes it again: the file's bytes must be what they were.
func TestOpen_ExistingDatabaseKeepsItsBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.BeginRun(RunSpec{Kind: "run", Required: "MicrosoftCustomerAgreement", Types: []string{"MicrosoftCustomerAgreement"}}, testCustomers(3)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, readOnly := range []bool{true, false} {
		db, err := Open(path, Options{ReadOnly: readOnly})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ListRuns(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(before, after) {
			t.Errorf("Open(ReadOnly: %v) then Close changed the file's bytes", readOnly)
		}
	}
	var mode int
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.reader.QueryRow(`PRAGMA auto_vacuum`).Scan(&mode); err != nil || mode != 2 {
		t.Errorf("auto_vacuum=%d (%v), want 2 (incremental) for a database this mcawatch created", mode, err)
	}
}
