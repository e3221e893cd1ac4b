package storage

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDB_SaveResults_Replaces(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(2)
	run := mustBegin(t, db, cs)
	mustSave(t, db, run.ID, okResult(cs[0], mca("2024-01-02"), mca("2023-05-06")), errResult(cs[1]))
	// The same batch again, as after a retried commit, then a new answer.
	mustSave(t, db, run.ID, okResult(cs[0], mca("2024-01-02"), mca("2023-05-06")), errResult(cs[1]))
	mustSave(t, db, run.ID, okResult(cs[1], mca("2025-03-04")))

	got, err := db.Run(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Done != 2 || got.Errors != 0 {
		t.Fatalf("running counts done=%d errors=%d, want 2 and 0", got.Done, got.Errors)
	}
	snap := mustSnapshot(t, db, run.ID)
	if len(snap.Customers) != 2 {
		t.Fatalf("snapshot has %d customers, want 2", len(snap.Customers))
	}
	first := stateOf(t, snap, cs[0].ID).Result
	if want := []Acceptance{mca("2023-05-06"), mca("2024-01-02")}; !reflect.DeepEqual(first.Acceptances, want) {
		t.Fatalf("acceptances = %+v, want the two records once, oldest first", first.Acceptances)
	}
	second := stateOf(t, snap, cs[1].ID).Result
	if second.Status != StatusOK || len(second.Acceptances) != 1 || second.HTTPStatus != 0 {
		t.Fatalf("replaced result = %+v, want the later ok answer", second)
	}
}

func TestDB_SaveResults_Validation(t *testing.T) {
	good := testCustomers(1)[0]
	tests := []struct {
		name    string
		bad     Result
		wantErr string
	}{
		{"empty id", okResult(Customer{}), `customer "": id is empty`},
		{"not a GUID", okResult(Customer{ID: "contoso.onmicrosoft.com"}), `customer "contoso.onmicrosoft.com": id is not a GUID`},
		{"GUID with a bad digit", okResult(Customer{ID: "1f6c1d28-0000-4000-8000-00000000000g"}), `customer "1f6c1d28-0000-4000-8000-00000000000g": id is not a GUID`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpenDB(t, newClock())
			run := mustBegin(t, db, []Customer{good})
			err := db.SaveResults(run.ID, []Result{okResult(good, mca("2024-01-02")), tt.bad})
			if want := "save results of run 1: " + tt.wantErr; errString(err) != want {
				t.Fatalf("SaveResults() error = %v, want %q", err, want)
			}
			if snap := mustSnapshot(t, db, run.ID); len(snap.Customers) != 0 {
				t.Fatalf("a refused batch stored %d results", len(snap.Customers))
			}
			if got, err := db.Run(run.ID); err != nil || got.Done != 0 {
				t.Fatalf("a refused batch counted %d results (%v)", got.Done, err)
			}
		})
	}
}

func TestDB_SaveResults_NotRunning(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(1)
	run := mustBegin(t, db, cs)
	mustFinish(t, db, run.ID, StateInterrupted)
	err := db.SaveResults(run.ID, []Result{okResult(cs[0])})
	if got, want := errString(err), "save results of run 1: it is interrupted, not running"; got != want {
		t.Fatalf("SaveResults() error = %q, want %q", got, want)
	}
	if err := db.SaveResults(5, []Result{okResult(cs[0])}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("SaveResults(no such run) error = %v, want not found", err)
	}
}

func TestDB_SaveResults_Customers(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cust := testCustomers(1)[0]
	run := mustBegin(t, db, []Customer{cust})
	mustSave(t, db, run.ID, okResult(cust))
	mustFinish(t, db, run.ID, StateComplete)

	c.t = c.t.Add(24 * time.Hour)
	renamed := cust
	renamed.ID = strings.ToUpper(cust.ID)
	renamed.CompanyName = "Contoso Renamed"
	renamed.Domain = ""
	run2 := mustBegin(t, db, []Customer{renamed})
	mustSave(t, db, run2.ID, okResult(renamed))

	var name, domain string
	var first, last int64
	if err := db.reader.QueryRow(`SELECT company_name, domain, first_seen, last_seen FROM customers_seen WHERE id = ?`, cust.ID).
		Scan(&name, &domain, &first, &last); err != nil {
		t.Fatalf("customer row: %v", err)
	}
	if name != "Contoso Renamed" || domain != cust.Domain || first != run.Started.Unix() || last != run2.Started.Unix() {
		t.Fatalf("customer = %q %q seen %d..%d, want new name, old domain kept, seen %d..%d",
			name, domain, first, last, run.Started.Unix(), run2.Started.Unix())
	}
}

func TestDB_PendingCustomers(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(6)
	run := mustBegin(t, db, cs)
	mustSave(t, db, run.ID, okResult(cs[0]), errResult(cs[3]), okResult(cs[4]))

	pending, err := db.PendingCustomers(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Customer{cs[1], cs[2], cs[5]}; !reflect.DeepEqual(pending, want) {
		t.Fatalf("PendingCustomers() = %v, want %v", pending, want)
	}
	mustSave(t, db, run.ID, okResult(cs[1]), okResult(cs[2]), okResult(cs[5]))
	if pending, err = db.PendingCustomers(run.ID); err != nil || len(pending) != 0 {
		t.Fatalf("PendingCustomers() after all saved = %v, %v; want none", pending, err)
	}
}
