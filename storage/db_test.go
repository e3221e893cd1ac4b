package storage

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestOpen_NewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	db := mustOpenPath(t, path, nil)
	run := mustBegin(t, db, testCustomers(3))
	mustSave(t, db, run.ID, okResult(testCustomers(1)[0], mca("2024-01-02")))

	for _, file := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(file)
		if err != nil {
			t.Fatalf("stat: %v", err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("mode of %s = %v, want %v", filepath.Base(file), got, want)
		}
	}
	var version, appID int
	var mode string
	if err := db.reader.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.reader.QueryRow(`PRAGMA application_id`).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if err := db.reader.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	ms, _ := migrations()
	if version != len(ms) || appID != applicationID || mode != "wal" {
		t.Fatalf("version=%d application_id=%#x journal_mode=%s, want %d %#x wal", version, appID, mode, len(ms), applicationID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	again := mustOpenPath(t, path, nil)
	got, err := again.Run(run.ID)
	if err != nil {
		t.Fatalf("Run after reopen: %v", err)
	}
	if got.Done != 1 {
		t.Fatalf("Run(%d).Done = %d after reopen, want 1", run.ID, got.Done)
	}
}

func TestOpen_EmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db := mustOpenPath(t, path, nil)
	if _, err := db.ListRuns(); err != nil {
		t.Fatalf("ListRuns on a fresh database: %v", err)
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	db := mustOpenPath(t, path, nil)
	if _, err := db.writer.Exec(`INSERT INTO schema_migrations (version, name, applied) VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := readFile(t, path)

	_, err := Open(path, Options{})
	ms, _ := migrations()
	want := "database " + path + " has schema version 99, this mcawatch knows up to " + strconv.Itoa(len(ms)) + ": upgrade mcawatch"
	if err == nil || err.Error() != want {
		t.Fatalf("Open() error = %v, want %q", err, want)
	}
	if !bytes.Equal(readFile(t, path), before) {
		t.Fatal("Open() changed a database it refused")
	}
}

func TestOpen_RefusesForeignFile(t *testing.T) {
	tests := []struct {
		name    string
		create  func(t *testing.T, path string)
		wantErr string
	}{
		{"other sqlite database", func(t *testing.T, path string) {
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)`); err != nil {
				t.Fatal(err)
			}
		}, "is not an mcawatch database"},
		{"other sqlite database with its own application id", func(t *testing.T, path string) {
			raw, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(`PRAGMA application_id = 1234; CREATE TABLE t (x)`); err != nil {
				t.Fatal(err)
			}
		}, "is not an mcawatch database"},
		{"text file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("customer_id\n1f6c1d28-0000-4000-8000-000000000001\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "is not an SQLite database"},
		{"short file with the SQLite magic", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("SQLite format 3\x00"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "is not an SQLite database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "foreign.db")
			tt.create(t, path)
			before := readFile(t, path)
			db, err := Open(path, Options{})
			if err == nil {
				db.Close()
				t.Fatal("Open() of a foreign file succeeded")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("Open() error = %q, want it to name the file and say %q", err, tt.wantErr)
			}
			if !bytes.Equal(readFile(t, path), before) {
				t.Fatal("Open() changed the file it refused")
			}
			for _, suffix := range []string{"-wal", "-shm", "-journal"} {
				if _, err := os.Stat(path + suffix); err == nil {
					t.Errorf("Open() left %s behind", filepath.Base(path+suffix))
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
