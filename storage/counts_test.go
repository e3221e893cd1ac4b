package storage

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// countsOf counts a snapshot's customers by standing, as RunCounts should.
func countsOf(s *Snapshot) RunCounts {
	c := RunCounts{RunID: s.Run.ID, Judged: s.Run.State == StateComplete}
	for i := range s.Customers {
		r := &s.Customers[i].Result
		c.Done++
		st := r.Standing(s.Run.Required, s.Run.CurrentSince)
		switch {
		case st == StandingError:
			c.Errors++
		case !c.Judged:
		case st == StandingOutdated:
			c.Outdated++
		case st == StandingMissing:
			c.Missing++
		default:
			c.Accepted++
		}
	}
	return c
}

// mustRunCounts reads every run's counts.
func mustRunCounts(tb testing.TB, db *DB) map[int64]RunCounts {
	tb.Helper()
	counts, err := db.RunCounts(context.Background())
	if err != nil {
		tb.Fatalf("RunCounts: %v", err)
	}
	return counts
}

// `mcawatch runs` shows each run's missing, outdated and error counts: a
// complete run's are its customers' standings; a run not yet complete has
// only its errors.
func TestDB_RunCounts_ShowsEachRunsStandings(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(6)
	s := spec
	s.CurrentSince = mustDate("2023-04-01")
	run, err := db.BeginRun(s, cs)
	if err != nil {
		t.Fatal(err)
	}
	signed := okResult(cs[3])
	signed.DirectSigned = DirectSigned
	mustSave(t, db, run.ID, okResult(cs[0], mca("2024-01-02")), okResult(cs[1], mca("2020-01-02")), okResult(cs[2]),
		signed, errResult(cs[4]), okResult(cs[5]))
	mustFinish(t, db, run.ID, StateComplete)
	open, err := db.BeginRun(s, cs)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, db, open.ID, okResult(cs[0]), errResult(cs[1]))

	got := mustRunCounts(t, db)
	want := map[int64]RunCounts{
		run.ID:  {RunID: run.ID, Judged: true, Done: 6, Errors: 1, Accepted: 2, Outdated: 1, Missing: 2},
		open.ID: {RunID: open.ID, Done: 2, Errors: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RunCounts() = %+v, want %+v", got, want)
	}
	if c := countsOf(mustSnapshot(t, db, run.ID)); c != want[run.ID] {
		t.Fatalf("counts of the snapshot = %+v, want %+v", c, want[run.ID])
	}
}

// A database written by mcawatch at schema version 3 (the fixture was
// written by the code of commit 6179d10, with every run's snapshot recorded
// beside it: complete runs with errors carried forward, undated and
// outdated records, direct-signed customers, a stale and a resumable
// interrupted run, a failed run, a run whose report failed) migrates in
// place; every old run reads back exactly as it did, and the complete ones
// get their counts.
func TestOpen_MigratesVersion3Unchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcawatch.db")
	if err := os.WriteFile(path, readFile(t, filepath.Join("..", "testdata", "storage", "schema3.db")), 0o600); err != nil {
		t.Fatal(err)
	}
	var want []Snapshot
	if err := json.Unmarshal(readFile(t, filepath.Join("..", "testdata", "storage", "schema3-snapshots.json")), &want); err != nil {
		t.Fatal(err)
	}
	db := mustOpenPath(t, path, newClock())
	ms, _ := migrations()
	var version int
	if err := db.reader.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version != len(ms) {
		t.Fatalf("schema version after Open = %d (%v), want %d", version, err, len(ms))
	}
	if len(want) != 7 {
		t.Fatalf("fixture has %d snapshots, want 7", len(want))
	}
	counts := mustRunCounts(t, db)
	for _, w := range want {
		got := mustSnapshot(t, db, w.Run.ID)
		if !reflect.DeepEqual(got.Run, w.Run) {
			t.Errorf("run %d after migrating =\n %+v\nwant\n %+v", w.Run.ID, got.Run, w.Run)
		}
		if !reflect.DeepEqual(got.Customers, w.Customers) {
			t.Errorf("snapshot of run %d after migrating =\n %+v\nwant\n %+v", w.Run.ID, got.Customers, w.Customers)
		}
		if c := countsOf(&w); counts[w.Run.ID] != c {
			t.Errorf("RunCounts()[%d] after migrating = %+v, want %+v", w.Run.ID, counts[w.Run.ID], c)
		}
	}
}
