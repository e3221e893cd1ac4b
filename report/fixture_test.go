package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

const mca = "MicrosoftCustomerAgreement"

// mustLoadSnapshot reads a hand-made snapshot from testdata/report.
func mustLoadSnapshot(tb testing.TB, name string) *storage.Snapshot {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "report", name))
	if err != nil {
		tb.Fatal(err)
	}
	var s storage.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	return &s
}

func customer(n int, name string) storage.Customer {
	return storage.Customer{
		ID:          fmt.Sprintf("00000000-0000-0000-0000-%012d", n),
		CompanyName: name,
		Domain:      strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example",
	}
}

func record(typ, date, template string) storage.Acceptance {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err) // a typo in a test table
	}
	return storage.Acceptance{Type: typ, DateAgreed: d, TemplateID: template, ContactName: "Ada Admin"}
}

func okResult(c storage.Customer, ds storage.DirectSign, recs ...storage.Acceptance) storage.Result {
	return storage.Result{Customer: c, Status: storage.StatusOK, DirectSigned: ds, Acceptances: recs, Attempts: 1}
}

func okState(c storage.Customer, ds storage.DirectSign, recs ...storage.Acceptance) storage.CustomerState {
	return storage.CustomerState{Result: okResult(c, ds, recs...)}
}

func missingState(c storage.Customer, since time.Time) storage.CustomerState {
	return storage.CustomerState{Result: okResult(c, storage.DirectNotSigned), MissingSince: since}
}

func errState(c storage.Customer, lastGood *storage.Result) storage.CustomerState {
	return storage.CustomerState{
		Result: storage.Result{Customer: c, Status: storage.StatusError, HTTPStatus: 503,
			Message: "service unavailable", Attempts: 6},
		LastGood: lastGood,
	}
}

var (
	day1 = time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	day2 = time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
)

func snapshot(id int64, started time.Time, states ...storage.CustomerState) *storage.Snapshot {
	return &storage.Snapshot{
		Run: storage.Run{ID: id, Kind: "run", Started: started, Finished: started.Add(5 * time.Minute),
			State: storage.StateComplete, Required: mca, Types: []string{mca}, Customers: len(states)},
		Customers: states,
	}
}
