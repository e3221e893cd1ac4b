package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

func listed(cs []pctest.Customer) []fetch.Customer {
	out := make([]fetch.Customer, len(cs))
	for i, c := range cs {
		out[i] = fetch.Customer{ID: c.ID}
	}
	return out
}

func mustRuns(t *testing.T, db *storage.DB) []storage.Run {
	t.Helper()
	runs, err := db.ListRuns()
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// TestSweep_Sweep_ShrunkCustomerListRefusedBeforeStoring: a list that lost
// more than customers.max_drop, or is empty, stores no run at all, so the
// next good sweep is diffed against the last good one and shows no old
// acceptance as New.
func TestSweep_Sweep_ShrunkCustomerListRefusedBeforeStoring(t *testing.T) {
	srv := newServer(t, 60, pctest.Faults{})
	cs := srv.Customers()
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	opts := SweepOptions{Kind: "run", Customers: listed(cs), Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}}
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts); err != nil {
		t.Fatalf("baseline Sweep() = %v", err)
	}

	tests := []struct {
		name      string
		customers []fetch.Customer
		want      string
	}{
		{"no customers", []fetch.Customer{}, "shrank from 60 to 0 customers"},
		{"40 of 60 left", listed(cs[:20]), "shrank from 60 to 20 customers: 40 of run 1's customers are gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requests := srv.Stats().Requests
			o := opts
			o.Customers = tt.customers
			_, err := Sweep(context.Background(), db, newClient(t, srv, 8), o)
			if !errors.Is(err, ErrPortfolioDrop) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--accept-drop") {
				t.Fatalf("Sweep() = %v, want ErrPortfolioDrop saying %q and naming --accept-drop", err, tt.want)
			}
			if got := len(mustRuns(t, db)); got != 1 {
				t.Fatalf("%d runs stored, want only the baseline", got)
			}
			if got := srv.Stats().Requests - requests; got > 2 {
				t.Fatalf("a refused sweep made %d agreement requests", got)
			}
		})
	}

	next, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts)
	if err != nil {
		t.Fatalf("next good Sweep() = %v", err)
	}
	if s := next.Report.Summary; s.New != 0 || s.Removed != 0 || s.Left != 0 || s.Joined != 0 {
		t.Fatalf("next good sweep: %+v, want no New, Removed, Joined or Left", s)
	}

	// A small loss (10 of 60, not more than 10) passes the default limit;
	// a confirmed shrink passes any limit.
	o := opts
	o.Customers = listed(cs[:50])
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 8), o); err != nil {
		t.Fatalf("10 of 60 gone: Sweep() = %v, want it accepted", err)
	}
	o.Customers = listed(cs[:5])
	o.AcceptDrop = true
	if out, err := Sweep(context.Background(), db, newClient(t, srv, 8), o); err != nil || out.Report.Summary.Left != 45 {
		t.Fatalf("--accept-drop: Sweep() = %v, want 45 customers left", err)
	}
}

func TestDropLimit_Exceeded(t *testing.T) {
	tests := []struct {
		limit      DropLimit
		lost, from int
		want       bool
	}{
		{DefaultDropLimit, 10, 20, false}, // 50% but only 10
		{DefaultDropLimit, 11, 20, true},
		{DefaultDropLimit, 21, 200, true},
		{DefaultDropLimit, 11, 1000, false}, // 1.1%
		{DropLimit{Count: 3}, 4, 1000, true},
		{DropLimit{Count: 3}, 3, 4, false},
	}
	for _, tt := range tests {
		if got := tt.limit.exceeded(tt.lost, tt.from); got != tt.want {
			t.Errorf("%v.exceeded(%d of %d)=%v, want %v", tt.limit, tt.lost, tt.from, got, tt.want)
		}
	}
}

// interruptedBackfill starts a backfill with since and cancels it after 30
// customers; it returns the interrupted run.
func interruptedBackfill(t *testing.T, db *storage.DB, srv *pctest.Server, dir string, since time.Time) storage.Run {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Sweep(ctx, db, newClient(t, srv, 4), SweepOptions{
		Kind: "backfill", Since: since, Report: report.WriteOptions{Dir: dir},
		BatchSize: 10, Progress: &cancelAfter{n: 30, cancel: cancel},
	})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Sweep() = %v, want ErrInterrupted", err)
	}
	run, err := db.LatestRun(storage.StateInterrupted)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func newRowKeys(r *report.Report) []string {
	var out []string
	for _, n := range r.New {
		out = append(out, n.Customer.ID+"|"+n.Acceptance.Type+"|"+n.Acceptance.DateAgreed.Format(time.RFC3339)+"|"+n.PreviousDateAgreed.Format(time.RFC3339))
	}
	return out
}

// TestSweep_Sweep_ResumedBackfillReportsWithItsSince: --since is stored
// with the run, so a resumed backfill (which is not given --since again)
// has the New rows of an uninterrupted one.
func TestSweep_Sweep_ResumedBackfillReportsWithItsSince(t *testing.T) {
	srv := newServer(t, 120, pctest.Faults{Latency: 5 * time.Millisecond})
	since := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	dir := t.TempDir()

	whole, err := Sweep(context.Background(), mustOpenDB(t, filepath.Join(dir, "whole.db")), newClient(t, srv, 4),
		SweepOptions{Kind: "backfill", Since: since, Report: report.WriteOptions{Dir: filepath.Join(dir, "whole")}})
	if err != nil {
		t.Fatal(err)
	}
	want := newRowKeys(whole.Report)
	if len(want) == 0 {
		t.Fatal("the uninterrupted backfill has no New rows: the test proves nothing")
	}

	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	interruptedBackfill(t, db, srv, filepath.Join(dir, "r"), since)
	resumed, err := Sweep(context.Background(), db, newClient(t, srv, 4),
		SweepOptions{Kind: "backfill", Resume: true, Report: report.WriteOptions{Dir: filepath.Join(dir, "r")}})
	if err != nil {
		t.Fatalf("resume Sweep() = %v", err)
	}
	got := newRowKeys(resumed.Report)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("resumed backfill has %d New rows, the uninterrupted one %d", len(got), len(want))
	}
}

// TestSweep_Sweep_StaleInterruptedRunNotResumed: an interrupted run that a
// complete run overtook is not resumed (it would mix two days and diff
// against the wrong run); the refusal says why and that prune removes it.
func TestSweep_Sweep_StaleInterruptedRunNotResumed(t *testing.T) {
	srv := newServer(t, 80, pctest.Faults{Latency: 5 * time.Millisecond})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	stale := interruptedBackfill(t, db, srv, dir, time.Time{})
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), SweepOptions{Report: report.WriteOptions{Dir: dir}}); err != nil {
		t.Fatal(err)
	}
	requests := srv.Stats().Requests
	_, err := Sweep(context.Background(), db, newClient(t, srv, 4), SweepOptions{Resume: true, Report: report.WriteOptions{Dir: dir}})
	if err == nil || !strings.Contains(err.Error(), "cannot be resumed") || !strings.Contains(err.Error(), "prune") {
		t.Fatalf("resume of stale run %d = %v, want a refusal saying why and naming prune", stale.ID, err)
	}
	if got := srv.Stats().Requests - requests; got != 0 {
		t.Fatalf("the refused resume made %d requests", got)
	}
	if run, err := db.Run(stale.ID); err != nil || run.State != storage.StateInterrupted {
		t.Fatalf("stale run = %+v, %v, want it left interrupted", run, err)
	}
}

// TestSweep_Sweep_ResumeWithOtherSettingsRefused: a run finishes with the
// configuration it was started with; asked to resume with other agreement
// types, jobs refuses and names the setting.
func TestSweep_Sweep_ResumeWithOtherSettingsRefused(t *testing.T) {
	srv := newServer(t, 80, pctest.Faults{Latency: 5 * time.Millisecond})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	interruptedBackfill(t, db, srv, dir, time.Time{})
	_, err := Sweep(context.Background(), db, newClient(t, srv, 4), SweepOptions{
		Resume: true, Types: []string{"MicrosoftCustomerAgreement", "MicrosoftCloudAgreement"}, Report: report.WriteOptions{Dir: dir},
	})
	if err == nil || !strings.Contains(err.Error(), "agreements.types was [MicrosoftCustomerAgreement], now [MicrosoftCustomerAgreement, MicrosoftCloudAgreement]") {
		t.Fatalf("resume with other types = %v, want a refusal naming agreements.types", err)
	}
}

// TestSweep_Sweep_UnwritableReportDirFailsBeforeFetching: the report
// folder is checked before the sweep, not after hours of fetching.
func TestSweep_Sweep_UnwritableReportDirFailsBeforeFetching(t *testing.T) {
	srv := newServer(t, 20, pctest.Faults{})
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-folder")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	reports := filepath.Join(blocker, "reports")
	_, err := Sweep(context.Background(), db, newClient(t, srv, 4), SweepOptions{Report: report.WriteOptions{Dir: reports}})
	if err == nil || !strings.Contains(err.Error(), reports) {
		t.Fatalf("Sweep() = %v, want an error naming %s", err, reports)
	}
	if got := srv.Stats().Requests; got != 0 {
		t.Fatalf("%d requests made before the report folder was found unwritable", got)
	}
	if runs := mustRuns(t, db); len(runs) != 0 {
		t.Fatalf("%d runs stored", len(runs))
	}
}

// TestSweep_Sweep_FailedReportIsReportedNextNight: a night whose report
// cannot be written is not the baseline of the next diff: the next night
// reports its changes (New rows, and so --fail-on changes fires then).
func TestSweep_Sweep_FailedReportIsReportedNextNight(t *testing.T) {
	srv := newServer(t, 80, pctest.Faults{})
	dir := t.TempDir()
	reports := filepath.Join(dir, "reports")
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	opts := SweepOptions{Report: report.WriteOptions{Dir: reports}}
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts); err != nil {
		t.Fatal(err)
	}
	changes := srv.Evolve(3, 2)
	if len(changes.Accepted)+len(changes.Redated) == 0 {
		t.Fatal("Evolve made no acceptance: the test proves nothing")
	}

	// The folder is fine when checked, then replaced by a file once the
	// run is finished: the report cannot be written (as on a full disk).
	failing := opts
	failing.Phase = func(step string) func() {
		return func() {
			if step == "finish" {
				if err := os.RemoveAll(reports); err != nil {
					t.Error(err)
				}
				if err := os.WriteFile(reports, nil, 0o600); err != nil {
					t.Error(err)
				}
			}
		}
	}
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), failing); err == nil {
		t.Fatal("Sweep() with an unwritable report = nil, want an error")
	}
	if err := os.Remove(reports); err != nil {
		t.Fatal(err)
	}

	next, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
	if err != nil {
		t.Fatal(err)
	}
	if next.Report.Previous == nil || next.Report.Previous.ID != 1 {
		t.Fatalf("next night diffed against %+v, want run 1 (the last run with a report)", next.Report.Previous)
	}
	if s := next.Report.Summary; !s.Changed() || s.New == 0 {
		t.Fatalf("next night: %+v, want the failed night's New rows", s)
	}
}

// TestSweep_Sweep_StoresRunInfo: the agreement's current version, the
// relationship-request link and the settled request rate are stored with
// the run, for the report and the next sweep.
func TestSweep_Sweep_StoresRunInfo(t *testing.T) {
	srv := newServer(t, 60, pctest.Faults{Throttle: 400})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	out, err := Sweep(context.Background(), db, newClient(t, srv, 8), SweepOptions{Report: report.WriteOptions{Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := db.Run(out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Agreement.TemplateID == "" || run.Agreement.Link == "" || run.RelationshipURL == "" {
		t.Fatalf("stored run info: agreement %+v, relationship url %q; want both", run.Agreement, run.RelationshipURL)
	}
	if run.ReportDir != out.Folder {
		t.Fatalf("ReportDir = %q, want %q", run.ReportDir, out.Folder)
	}
}

// TestServe_Serve_ShutdownIsNotLoggedAsAFailedSweep: SIGTERM during a
// scheduled sweep is a clean stop, not "scheduled sweep failed".
func TestServe_Serve_ShutdownIsNotLoggedAsAFailedSweep(t *testing.T) {
	srv := newServer(t, 60, pctest.Faults{Latency: 10 * time.Millisecond})
	dir := t.TempDir()
	clock := newFakeClock(time.Date(2026, 11, 22, 1, 59, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedLog
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{
			Schedule: everyMinute{},
			Clock:    clock,
			Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
			Sweep: func(ctx context.Context) error {
				db, err := storage.Open(filepath.Join(dir, "m.db"), storage.Options{})
				if err != nil {
					return err
				}
				defer db.Close()
				_, err = Sweep(ctx, db, newClient(t, srv, 2), SweepOptions{
					Report: report.WriteOptions{Dir: dir}, BatchSize: 5, Progress: &cancelAfter{n: 10, cancel: cancel},
				})
				return err
			},
		})
	}()
	waitArmed(t, clock)
	clock.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("Serve() = %v", err)
	}
	got := logs.String()
	if strings.Contains(got, "scheduled sweep failed") || !strings.Contains(got, "stopped by shutdown") {
		t.Fatalf("log after a shutdown mid-sweep:\n%s\nwant it said to be stopped by shutdown, not failed", got)
	}
}

type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSweep_Sweep_CustomerListWithoutItemsStoresNothing: a customers page
// of {} is not a portfolio in which every customer left: the sweep fails
// before anything is stored, and the next good one shows nothing as New.
func TestSweep_Sweep_CustomerListWithoutItemsStoresNothing(t *testing.T) {
	srv := newServer(t, 40, pctest.Faults{})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	opts := SweepOptions{Report: report.WriteOptions{Dir: dir}}
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{}`, `{"totalCount":0,"items":[]}`} {
		empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		client, err := fetch.New(fetch.Options{BaseURL: empty.URL, Token: fetch.StaticToken(testToken), MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		_, err = Sweep(context.Background(), db, client, opts)
		empty.Close()
		if err == nil || !strings.Contains(err.Error(), "nothing was stored") {
			t.Fatalf("customers page %s: Sweep() = %v, want a failure that stores nothing", body, err)
		}
		if runs := mustRuns(t, db); len(runs) != 1 {
			t.Fatalf("customers page %s: %d runs stored, want only the baseline", body, len(runs))
		}
	}
	next, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
	if err != nil {
		t.Fatal(err)
	}
	if s := next.Report.Summary; s.New != 0 || s.Left != 0 || s.Joined != 0 {
		t.Fatalf("next good sweep: %+v, want no New, Left or Joined", s)
	}
}

// TestSweep_Sweep_GoesOnWithoutAgreementMetadata: the agreement metadata
// and the relationship link are informational: when their calls fail the
// sweep completes, with them stored as unavailable.
func TestSweep_Sweep_GoesOnWithoutAgreementMetadata(t *testing.T) {
	srv := newServer(t, 30, pctest.Faults{})
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	pass := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/agreements" || r.URL.Path == "/v1/customers/relationshiprequests" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"code":"600000","description":"not found"}`))
			return
		}
		pass.ServeHTTP(w, r)
	}))
	defer front.Close()
	client, err := fetch.New(fetch.Options{BaseURL: front.URL, Token: fetch.StaticToken(testToken), MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	out, err := Sweep(context.Background(), db, client, SweepOptions{Report: report.WriteOptions{Dir: dir}})
	if err != nil {
		t.Fatalf("Sweep() = %v, want the sweep to go on without the metadata", err)
	}
	run, err := db.Run(out.Run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.State != storage.StateComplete || run.Agreement != (storage.AgreementInfo{}) || run.RelationshipURL != "" {
		t.Fatalf("run = %+v, want complete with no agreement info and no relationship link", run)
	}
}

// TestSweep_Sweep_FinishFailureNamesTheRunOnce: when storing the end of a
// run fails (a full disk), the message names the right run once, and the
// run is left interrupted for --resume, not running.
func TestSweep_Sweep_FinishFailureNamesTheRunOnce(t *testing.T) {
	srv := newServer(t, 20, pctest.Faults{})
	dir := t.TempDir()
	path := filepath.Join(dir, "m.db")
	db := mustOpenDB(t, path)
	// A second connection to the same file installs what a full disk does
	// to the run's last write.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER full_disk BEFORE UPDATE OF missing_since ON results
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`); err != nil {
		t.Fatal(err)
	}
	opts := SweepOptions{Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}}
	_, err = Sweep(context.Background(), db, newClient(t, srv, 4), opts)
	if err == nil {
		t.Fatal("Sweep() = nil, want the failure to finish the run")
	}
	runs := mustRuns(t, db)
	if len(runs) != 1 {
		t.Fatalf("%d runs stored, want 1", len(runs))
	}
	msg := err.Error()
	want := fmt.Sprintf("finish run %d: ", runs[0].ID)
	if strings.Count(msg, "finish run") != 1 || !strings.Contains(msg, want) || !strings.Contains(msg, "database or disk is full") {
		t.Fatalf("Sweep() error = %q, want one %q and the cause", msg, want)
	}
	if runs[0].State != storage.StateInterrupted {
		t.Fatalf("run after a failed finish is %s, want interrupted", runs[0].State)
	}
}
