package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// newClock starts at 2026-11-22T02:00:00Z.
func newClock() *clock { return &clock{t: time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)} }

// mustOpenDB opens a new database in a temporary directory.
func mustOpenDB(tb testing.TB, c *clock) *DB {
	tb.Helper()
	return mustOpenPath(tb, filepath.Join(tb.TempDir(), "mcawatch.db"), c)
}

func mustOpenPath(tb testing.TB, path string, c *clock) *DB {
	tb.Helper()
	opts := Options{PID: 4242, Host: "build-7"}
	if c != nil {
		opts.Now = c.Now
	}
	db, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// customerID is the i-th test customer's tenant id.
func customerID(i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i)
}

// testCustomers is n customers, in a list order that is not id order.
func testCustomers(n int) []Customer {
	cs := make([]Customer, n)
	for i := range cs {
		cs[i] = Customer{ID: customerID(i), CompanyName: fmt.Sprintf("Contoso %d", i),
			Domain: fmt.Sprintf("contoso%d.onmicrosoft.com", i), Relationship: "reseller"}
	}
	return cs
}

// mca is an acceptance of the Microsoft Customer Agreement on date.
func mca(date string) Acceptance {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return Acceptance{Type: "MicrosoftCustomerAgreement", DateAgreed: d, TemplateID: "117a488c-7c61-4e2c-9b3c-7e8c5b2d2a3c",
		ContactName: "Ada Lovelace", ContactEmail: "ada@contoso.example", ContactPhone: "+46 8 123 45",
		AgreementLink: "https://aka.ms/customeragreement", UserID: "u-1"}
}

// okResult is an ok result of c with the given records.
func okResult(c Customer, accs ...Acceptance) Result {
	return Result{Customer: c, Status: StatusOK, Attempts: 1, Acceptances: accs}
}

// errResult is a 500 error result of c.
func errResult(c Customer) Result {
	return Result{Customer: c, Status: StatusError, HTTPStatus: 500, ErrorCode: "3000", Message: "server error", Attempts: 6}
}

var spec = RunSpec{Kind: "run", CorrelationID: "c0ffee00-0000-4000-8000-000000000001",
	Required: "MicrosoftCustomerAgreement", Types: []string{"MicrosoftCustomerAgreement"}}

// mustBegin begins a run over cs.
func mustBegin(tb testing.TB, db *DB, cs []Customer) Run {
	tb.Helper()
	run, err := db.BeginRun(spec, cs)
	if err != nil {
		tb.Fatalf("BeginRun: %v", err)
	}
	return run
}

// mustSave saves a batch.
func mustSave(tb testing.TB, db *DB, runID int64, batch ...Result) {
	tb.Helper()
	if err := db.SaveResults(runID, batch); err != nil {
		tb.Fatalf("SaveResults(%d): %v", runID, err)
	}
}

// mustFinish finishes a run.
func mustFinish(tb testing.TB, db *DB, runID int64, state RunState) Run {
	tb.Helper()
	run, err := db.FinishRun(runID, state)
	if err != nil {
		tb.Fatalf("FinishRun(%d, %s): %v", runID, state, err)
	}
	if state == StateComplete {
		// As a sweep does once the report is in place: only then is the
		// run a baseline.
		dir := fmt.Sprintf("reports/run%d", runID)
		if err := db.SetReport(runID, dir); err != nil {
			tb.Fatalf("SetReport(%d): %v", runID, err)
		}
		run.ReportDir = dir
	}
	return run
}

// mustSnapshot loads a snapshot.
func mustSnapshot(tb testing.TB, db *DB, runID int64) *Snapshot {
	tb.Helper()
	s, err := db.LoadSnapshot(runID)
	if err != nil {
		tb.Fatalf("LoadSnapshot(%d): %v", runID, err)
	}
	return s
}

// stateOf finds a customer in a snapshot.
func stateOf(tb testing.TB, s *Snapshot, id string) CustomerState {
	tb.Helper()
	for _, c := range s.Customers {
		if c.Result.Customer.ID == id {
			return c
		}
	}
	tb.Fatalf("customer %s not in snapshot of run %d", id, s.Run.ID)
	return CustomerState{}
}

// mustDate is midnight UTC of a YYYY-MM-DD date.
func mustDate(date string) time.Time {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return d
}

// copyFixture copies a database of testdata/storage into a temporary
// directory and returns its path there.
func copyFixture(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "storage", name))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "mcawatch.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}
