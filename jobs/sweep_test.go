package jobs

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

const testToken = "jobs-test-token"

func newServer(t *testing.T, customers int, faults pctest.Faults) *pctest.Server {
	t.Helper()
	srv := pctest.New(pctest.Options{Customers: customers, Seed: 7, Token: testToken})
	t.Cleanup(srv.Close)
	srv.SetFaults(faults)
	return srv
}

func newClient(t *testing.T, srv *pctest.Server, concurrency int) *fetch.Client {
	t.Helper()
	c, err := fetch.New(fetch.Options{
		BaseURL:     srv.URL(),
		Token:       fetch.StaticToken(testToken),
		Concurrency: concurrency,
		MaxAttempts: 4,
		Timeout:     5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustOpenDB(tb testing.TB, path string) *storage.DB {
	tb.Helper()
	db, err := storage.Open(path, storage.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// wantMissing counts the portfolio's customers with no MCA record and no
// direct signature, minus those the faults make fail.
func wantMissing(cs []pctest.Customer, failing map[string]pctest.Fault) int {
	n := 0
	for _, c := range cs {
		if _, bad := failing[c.ID]; bad || c.DirectSigned {
			continue
		}
		has := false
		for _, a := range c.Agreements {
			has = has || a.Type == "MicrosoftCustomerAgreement"
		}
		if !has {
			n++
		}
	}
	return n
}

func TestSweep_TwoRuns(t *testing.T) {
	srv := newServer(t, 80, pctest.Faults{})
	cs := srv.Customers()
	failing := map[string]pctest.Fault{cs[3].ID: pctest.Fault403, cs[5].ID: pctest.FaultMalformed}
	srv.SetFaults(pctest.Faults{Customers: failing})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	opts := SweepOptions{Kind: "run", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")}}

	first, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts)
	if err != nil {
		t.Fatalf("first Sweep() = %v", err)
	}
	s := first.Report.Summary
	if s.Customers != 80 || s.Errors != 2 || s.New != 0 {
		t.Fatalf("first summary = %+v, want 80 customers, 2 errors, no new rows (baseline)", s)
	}
	if got, want := s.Missing, wantMissing(cs, failing); got != want {
		t.Fatalf("first missing = %d, want %d", got, want)
	}
	if first.Run.State != storage.StateComplete {
		t.Fatalf("run state = %s, want complete", first.Run.State)
	}

	changes := srv.Evolve(3, 2)
	second, err := Sweep(context.Background(), db, newClient(t, srv, 8), opts)
	if err != nil {
		t.Fatalf("second Sweep() = %v", err)
	}
	s = second.Report.Summary
	if s.Joined != len(changes.Joined) || s.Left != len(changes.Left) {
		t.Fatalf("joined/left = %d/%d, want %d/%d", s.Joined, s.Left, len(changes.Joined), len(changes.Left))
	}
	if s.Errors != 2 {
		t.Fatalf("second errors = %d, want 2", s.Errors)
	}
	newFor := map[string]bool{}
	for _, r := range second.Report.New {
		newFor[r.Customer.ID] = true
	}
	for _, id := range append(append([]string{}, changes.Accepted...), changes.Redated...) {
		if _, bad := failing[id]; !bad && !newFor[id] {
			t.Errorf("customer %s accepted or re-dated but has no New row", id)
		}
	}
	if second.Folder == first.Folder {
		t.Fatalf("second folder %q repeats the first", second.Folder)
	}
}

// cancelAfter cancels a context once n customers have been counted.
type cancelAfter struct {
	n      int64
	count  atomic.Int64
	cancel context.CancelFunc
}

func (p *cancelAfter) Start(int, int) {}
func (p *cancelAfter) Finish()        {}
func (p *cancelAfter) Add(n int) {
	if p.count.Add(int64(n)) >= p.n {
		p.cancel()
	}
}

func TestSweep_InterruptAndResume(t *testing.T) {
	srv := newServer(t, 120, pctest.Faults{Latency: 10 * time.Millisecond})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := SweepOptions{
		Kind: "backfill", Report: report.WriteOptions{Dir: filepath.Join(dir, "reports")},
		BatchSize: 10, Progress: &cancelAfter{n: 30, cancel: cancel},
	}
	_, err := Sweep(ctx, db, newClient(t, srv, 4), opts)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Sweep() = %v, want ErrInterrupted", err)
	}
	run, err := db.LatestRun(storage.StateInterrupted)
	if err != nil {
		t.Fatalf("LatestRun(interrupted) = %v", err)
	}
	pending, err := db.PendingCustomers(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 || len(pending) > 120-30 {
		t.Fatalf("pending = %d after 30+ were fetched, want 1..90", len(pending))
	}

	srv.ResetStats() // also forgets which customers were asked
	opts.Progress = nil
	opts.Resume = true
	out, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts)
	if err != nil {
		t.Fatalf("resume Sweep() = %v", err)
	}
	if out.Run.ID != run.ID || out.Run.State != storage.StateComplete || out.Report.Summary.Customers != 120 {
		t.Fatalf("resumed run = %+v with %d customers, want run %d complete with 120", out.Run, out.Report.Summary.Customers, run.ID)
	}
	isPending := map[string]bool{}
	for _, c := range pending {
		isPending[c.ID] = true
	}
	for _, c := range srv.Customers() {
		if asked := len(srv.RequestIDs(c.ID)); asked > 0 && !isPending[c.ID] {
			t.Errorf("resume asked again for %s, whose result was already stored", c.ID)
		} else if asked == 0 && isPending[c.ID] {
			t.Errorf("resume never asked for pending customer %s", c.ID)
		}
	}
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts); !errors.Is(err, ErrNothingToResume) {
		t.Fatalf("second resume = %v, want ErrNothingToResume", err)
	}
}

func TestSweep_SecondSweeperRefused(t *testing.T) {
	srv := newServer(t, 10, pctest.Faults{})
	path := filepath.Join(t.TempDir(), "m.db")
	holder := mustOpenDB(t, path)
	unlock, err := holder.Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := holder.BeginRun(storage.RunSpec{Kind: "run", CorrelationID: "c", Required: "MicrosoftCustomerAgreement", Types: []string{"MicrosoftCustomerAgreement"}}, nil); err != nil {
		t.Fatal(err)
	}
	db := mustOpenDB(t, path)
	_, err = Sweep(context.Background(), db, newClient(t, srv, 2), SweepOptions{Report: report.WriteOptions{Dir: t.TempDir()}})
	if !errors.Is(err, storage.ErrLocked) || !strings.Contains(err.Error(), "run 1 is in progress since") {
		t.Fatalf("Sweep() = %v, want the lock error naming run 1", err)
	}
	if got := srv.Stats().Requests; got != 0 {
		t.Fatalf("a refused sweep made %d requests", got)
	}
}

func TestServe_StopMidSweepThenResume(t *testing.T) {
	srv := newServer(t, 100, pctest.Faults{Latency: 10 * time.Millisecond})
	dir := t.TempDir()
	path := filepath.Join(dir, "m.db")
	clock := newFakeClock(time.Date(2026, 11, 22, 1, 59, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &cancelAfter{n: 20, cancel: cancel} // the "SIGTERM" arrives mid-sweep
	sweepErr := make(chan error, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{
			Schedule: everyMinute{},
			Clock:    clock,
			Logger:   slog.New(slog.DiscardHandler),
			Sweep: func(ctx context.Context) error {
				db, err := storage.Open(path, storage.Options{})
				if err != nil {
					return err
				}
				defer db.Close()
				_, err = Sweep(ctx, db, newClient(t, srv, 4), SweepOptions{
					Report: report.WriteOptions{Dir: dir}, BatchSize: 5, Progress: progress,
				})
				sweepErr <- err
				return err
			},
		})
	}()
	waitArmed(t, clock)
	clock.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("Serve() = %v", err)
	}
	if err := <-sweepErr; !errors.Is(err, ErrInterrupted) {
		t.Fatalf("sweep = %v, want ErrInterrupted", err)
	}
	db := mustOpenDB(t, path)
	out, err := Sweep(context.Background(), db, newClient(t, srv, 4), SweepOptions{Resume: true, Report: report.WriteOptions{Dir: dir}})
	if err != nil {
		t.Fatalf("resume = %v", err)
	}
	if out.Run.State != storage.StateComplete || out.Report.Summary.Customers != 100 {
		t.Fatalf("resumed run %+v, want complete with 100 customers", out.Run)
	}
}

// TestSweep_Phases: the Phase hook is told of every step in order, each
// step ends before the next begins, and each batch's save falls inside the
// fetch step.
func TestSweep_Phases(t *testing.T) {
	srv := newServer(t, 120, pctest.Faults{})
	dir := t.TempDir()
	db := mustOpenDB(t, filepath.Join(dir, "m.db"))
	var events []string
	opts := SweepOptions{
		Kind:      "run",
		BatchSize: 50,
		Report:    report.WriteOptions{Dir: filepath.Join(dir, "reports")},
		Phase: func(step string) func() {
			events = append(events, "+"+step)
			return func() { events = append(events, "-"+step) }
		},
	}
	if _, err := Sweep(context.Background(), db, newClient(t, srv, 4), opts); err != nil {
		t.Fatal(err)
	}
	want := "+list -list +begin -begin +fetch +save -save +save -save +save -save -fetch +finish -finish " +
		"+load -load +diff -diff +xlsx -xlsx +csv -csv"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("phases:\n got %s\nwant %s", got, want)
	}
}
