package storage

import (
	"database/sql"
	"strings"
	"testing"
	"time"
)

// The outdated streak is counted like the missing one, and both follow
// (*Result).Standing: an outdated customer is not missing, an error neither
// breaks nor starts a streak, a direct-signed or re-accepted customer ends it.
func TestDB_FinishRun_OutdatedStreaks(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2)
	a, steady := cs[0], cs[1]
	cutoff := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	undated := mca("2024-01-01")
	undated.DateAgreed = time.Time{}
	signedOld := okResult(a, mca("2020-01-01"))
	signedOld.DirectSigned = DirectSigned

	steps := []struct {
		name         string
		currentSince time.Time
		a            Result
		wantMissing  int // index of the step that started the streak, -1 none
		wantOutdated int
	}{
		{"outdated", cutoff, okResult(a, mca("2020-01-01")), -1, 0},
		{"two old records", cutoff, okResult(a, mca("2019-01-01"), mca("2021-06-01")), -1, 0},
		{"error", cutoff, errResult(a), -1, -1},
		{"outdated after an error", cutoff, okResult(a, mca("2020-01-01")), -1, 0},
		{"missing", cutoff, okResult(a), 4, -1},
		{"outdated after missing", cutoff, okResult(a, mca("2020-01-01")), -1, 5},
		{"direct-signed", cutoff, signedOld, -1, -1},
		{"outdated again", cutoff, okResult(a, mca("2020-01-01")), -1, 7},
		{"re-accepted", cutoff, okResult(a, mca("2020-01-01"), mca("2024-02-02")), -1, -1},
		{"undated only", cutoff, okResult(a, undated), -1, 9},
		{"check turned off", time.Time{}, okResult(a, mca("2020-01-01")), -1, -1},
	}
	var runs []Run
	for _, s := range steps {
		sp := spec
		sp.CurrentSince = s.currentSince
		run, err := db.BeginRun(sp, cs)
		if err != nil {
			t.Fatal(err)
		}
		mustSave(t, db, run.ID, s.a, okResult(steady, mca("2024-01-01")))
		runs = append(runs, mustFinish(t, db, run.ID, StateComplete))
		c.t = c.t.Add(24 * time.Hour)
	}
	since := func(i int) time.Time {
		if i < 0 {
			return time.Time{}
		}
		return runs[i].Started
	}
	for i, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			snap := mustSnapshot(t, db, runs[i].ID)
			got := stateOf(t, snap, a.ID)
			if !got.MissingSince.Equal(since(s.wantMissing)) || !got.OutdatedSince.Equal(since(s.wantOutdated)) {
				t.Fatalf("MissingSince %v OutdatedSince %v, want %v and %v", got.MissingSince, got.OutdatedSince,
					since(s.wantMissing), since(s.wantOutdated))
			}
			standing := got.Result.Standing(snap.Run.Required, snap.Run.CurrentSince)
			if (standing == StandingOutdated) != !got.OutdatedSince.IsZero() || (standing == StandingMissing) != !got.MissingSince.IsZero() {
				t.Fatalf("standing %s disagrees with MissingSince %v OutdatedSince %v", standing, got.MissingSince, got.OutdatedSince)
			}
			if st := stateOf(t, snap, steady.ID); !st.MissingSince.IsZero() || !st.OutdatedSince.IsZero() {
				t.Fatalf("accepted customer has streaks %v %v", st.MissingSince, st.OutdatedSince)
			}
		})
	}
}

// When completing a run fails, the error names the run once and the run
// is not left running: it is interrupted, ready to be resumed.
func TestDB_FinishRun_FailureLeavesTheRunInterrupted(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(3)
	run := mustBegin(t, db, cs)
	mustSave(t, db, run.ID, okResult(cs[0]), okResult(cs[1]), errResult(cs[2]))
	// Writing the streaks fails, as it would on a full disk.
	if _, err := db.writer.Exec(`CREATE TRIGGER no_streaks BEFORE UPDATE OF missing_since ON results
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	_, err := db.FinishRun(run.ID, StateComplete)
	if err == nil {
		t.Fatal("FinishRun() = nil, want the failure")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "finish run 1: ") || strings.Count(msg, "finish run") != 1 ||
		!strings.Contains(msg, "database or disk is full") || !strings.HasSuffix(msg, "(run 1 is left interrupted)") {
		t.Fatalf("FinishRun() error = %q, want one prefix naming run 1, the cause and where the run was left", msg)
	}
	got, err := db.Run(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateInterrupted || got.Finished.IsZero() {
		t.Fatalf("run after a failed FinishRun: %s, finished %v; want interrupted", got.State, got.Finished)
	}
	if _, err := db.ResumeRun(run.ID, ""); err != nil {
		t.Fatalf("ResumeRun() after a failed FinishRun: %v", err)
	}
}

// A database SQLite can only read says which file it is.
func TestDB_BeginRun_ReadOnlyDatabaseErrorNamesThePath(t *testing.T) {
	db := mustOpenDB(t, newClock())
	// Tests run as root, whom file modes do not stop; query_only makes
	// SQLite refuse writes with the same SQLITE_READONLY.
	conn, err := db.writer.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), `PRAGMA query_only = 1`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	_, err = db.BeginRun(spec, testCustomers(1))
	if err == nil || !strings.Contains(err.Error(), db.Path()) || !strings.HasPrefix(err.Error(), "begin run: ") ||
		strings.Count(err.Error(), "begin run") != 1 {
		t.Fatalf("BeginRun() on a read-only database = %v, want one prefix and the path %s", err, db.Path())
	}
	var n sql.NullInt64
	if err := db.reader.QueryRow(`SELECT max(id) FROM runs`).Scan(&n); err != nil || n.Valid {
		t.Fatalf("runs after a refused BeginRun: %v (%v)", n, err)
	}
}
