package storage

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// backfill --since and agreements.current_since are stored with the run, so
// a resumed run uses what it was started with.
func TestDB_BeginRun_StoresSinceAndCurrentSince(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2)
	s := spec
	s.Kind = "backfill"
	s.Since = time.Date(2025, 6, 1, 0, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	s.CurrentSince = time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	run, err := db.BeginRun(s, cs)
	if err != nil {
		t.Fatal(err)
	}
	wantSince := time.Date(2025, 5, 31, 22, 0, 0, 0, time.UTC)
	if !run.Since.Equal(wantSince) || !run.CurrentSince.Equal(s.CurrentSince) {
		t.Fatalf("BeginRun() = Since %v CurrentSince %v, want %v and %v", run.Since, run.CurrentSince, wantSince, s.CurrentSince)
	}
	mustFinish(t, db, run.ID, StateInterrupted)
	resumed, err := db.ResumeRun(run.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.Run(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	latest, err := db.LatestRun(StateRunning)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Run{"ResumeRun": resumed, "Run": got, "LatestRun": latest} {
		if r.Since != wantSince || r.CurrentSince != s.CurrentSince {
			t.Fatalf("%s() = Since %v CurrentSince %v, want %v and %v", name, r.Since, r.CurrentSince, wantSince, s.CurrentSince)
		}
	}

	// Not set: the zero times.
	plain := mustBegin(t, db, cs)
	if got, err := db.Run(plain.ID); err != nil || !got.Since.IsZero() || !got.CurrentSince.IsZero() {
		t.Fatalf("Run() of a run without them = %v %v (%v), want zero times", got.Since, got.CurrentSince, err)
	}
}

func TestDB_SetRunInfo_StoredWhileRunningAndAfter(t *testing.T) {
	db := mustOpenDB(t, newClock())
	run := mustBegin(t, db, testCustomers(1))
	info := RunInfo{
		Agreement: AgreementInfo{Type: "MicrosoftCustomerAgreement", TemplateID: "117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c",
			VersionRank: 2, Link: "https://www.microsoft.com/licensing/docs/customeragreement"},
		RelationshipURL: "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId=1",
		SettledRate:     7.25,
	}
	if err := db.SetRunInfo(run.ID, info); err != nil {
		t.Fatalf("SetRunInfo() while running: %v", err)
	}
	mustFinish(t, db, run.ID, StateComplete)
	got, err := db.Run(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Agreement, info.Agreement) || got.RelationshipURL != info.RelationshipURL || got.SettledRate != info.SettledRate {
		t.Fatalf("Run() = %+v, %q, %v; want %+v", got.Agreement, got.RelationshipURL, got.SettledRate, info)
	}
	later := RunInfo{SettledRate: 3}
	if err := db.SetRunInfo(run.ID, later); err != nil {
		t.Fatalf("SetRunInfo() after completing: %v", err)
	}
	if got, _ := db.Run(run.ID); got.Agreement != (AgreementInfo{}) || got.SettledRate != 3 {
		t.Fatalf("Run() after a second SetRunInfo = %+v %v, want it replaced", got.Agreement, got.SettledRate)
	}
	if err := db.SetRunInfo(99, info); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetRunInfo(no such run) = %v, want ErrNotFound", err)
	}
}

// A run whose report could not be written is not the baseline of the next
// diff: the next run reports against the last run whose report exists.
func TestDB_PreviousReported_SkipsRunsWithoutAReport(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2)
	var ids []int64
	for range 3 {
		run := mustBegin(t, db, cs)
		mustSave(t, db, run.ID, okResult(cs[0]), okResult(cs[1]))
		if _, err := db.FinishRun(run.ID, StateComplete); err != nil { // no report yet
			t.Fatal(err)
		}
		ids = append(ids, run.ID)
		c.t = c.t.Add(24 * time.Hour)
	}
	if _, err := db.PreviousReported(ids[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PreviousReported(first run) = %v, want ErrNotFound", err)
	}
	if _, err := db.PreviousReported(ids[2]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("PreviousReported() with no report in place = %v, want ErrNotFound", err)
	}
	if err := db.SetReport(ids[0], "/srv/reports/20261122T020000Z-run1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetReportFailed(ids[1], "write report: disk full"); err != nil {
		t.Fatal(err)
	}
	prev, err := db.PreviousReported(ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if prev.ID != ids[0] || prev.ReportDir != "/srv/reports/20261122T020000Z-run1" {
		t.Fatalf("PreviousReported(%d) = run %d in %q, want run %d", ids[2], prev.ID, prev.ReportDir, ids[0])
	}
	failed, err := db.Run(ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if failed.ReportDir != "" || failed.ReportError != "write report: disk full" {
		t.Fatalf("failed report: ReportDir %q ReportError %q", failed.ReportDir, failed.ReportError)
	}
	// A later report of run 2 puts it in place and clears the failure.
	if err := db.SetReport(ids[1], "/srv/reports/20261123T020000Z-run2"); err != nil {
		t.Fatal(err)
	}
	if prev, err := db.PreviousReported(ids[2]); err != nil || prev.ID != ids[1] || prev.ReportError != "" {
		t.Fatalf("PreviousReported() after the report = %d %q (%v), want run %d without error", prev.ID, prev.ReportError, err, ids[1])
	}
	if err := db.SetReport(99, "/x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SetReport(no such run) = %v, want ErrNotFound", err)
	}
}

// --resume continues the newest interrupted run only while no complete run
// is newer: an overtaken run would mix two days in one report.
func TestDB_Resumable_RefusesARunOvertakenByACompleteOne(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2)
	if _, err := db.Resumable(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Resumable() on an empty database = %v, want ErrNotFound", err)
	}
	states := []RunState{StateComplete, StateInterrupted, StateInterrupted, StateFailed}
	for _, st := range states {
		mustFinish(t, db, mustBegin(t, db, cs).ID, st)
		c.t = c.t.Add(time.Hour)
	}
	run, err := db.Resumable()
	if err != nil || run.ID != 3 {
		t.Fatalf("Resumable() = run %d (%v), want run 3", run.ID, err)
	}
	mustFinish(t, db, mustBegin(t, db, cs).ID, StateComplete)
	_, err = db.Resumable()
	var stale *StaleRunError
	if !errors.Is(err, ErrStaleRun) || !errors.As(err, &stale) {
		t.Fatalf("Resumable() after a newer complete run = %v, want a *StaleRunError", err)
	}
	if got, want := err.Error(), "run 3 was interrupted before complete run 5 was made; it cannot be resumed (prune removes it)"; got != want {
		t.Fatalf("Resumable() error = %q, want %q", got, want)
	}
}
