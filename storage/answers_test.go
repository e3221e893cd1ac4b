package storage

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// An acceptance without a usable date (none, null, or .NET's minimum date)
// is still an acceptance: it is stored with an unknown date, read back as
// the zero time, and makes its customer outdated, not missing.
func TestDB_SaveResults_UndatedRecordIsKeptWithAnEmptyDate(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(3)
	none := mca("2024-01-02")
	none.DateAgreed = time.Time{}
	dotnet := mca("2024-01-02")
	dotnet.DateAgreed = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	currentSince := time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	s := spec
	s.CurrentSince = currentSince
	run, err := db.BeginRun(s, cs)
	if err != nil {
		t.Fatal(err)
	}
	mustSave(t, db, run.ID, okResult(cs[0], none), okResult(cs[1], dotnet, mca("2024-05-06")), okResult(cs[2], mca("2020-01-01")))
	mustFinish(t, db, run.ID, StateComplete)

	var nulls int
	if err := db.reader.QueryRow(`SELECT count(*) FROM acceptances WHERE date_agreed IS NULL`).Scan(&nulls); err != nil {
		t.Fatal(err)
	}
	if nulls != 2 {
		t.Fatalf("%d records stored with a NULL date, want 2", nulls)
	}
	snap := mustSnapshot(t, db, run.ID)
	undated := stateOf(t, snap, cs[0].ID)
	if got := undated.Result.Acceptances; len(got) != 1 || !got[0].DateAgreed.IsZero() || got[0].ContactEmail != none.ContactEmail {
		t.Fatalf("undated record read back as %+v, want one record with a zero date", got)
	}
	if got, want := undated.Result.Standing(run.Required, currentSince), StandingOutdated; got != want {
		t.Fatalf("Standing of an undated customer = %s, want %s", got, want)
	}
	if !undated.MissingSince.IsZero() || !undated.OutdatedSince.Equal(run.Started) {
		t.Fatalf("undated customer: MissingSince %v, OutdatedSince %v; want none and %v", undated.MissingSince, undated.OutdatedSince, run.Started)
	}
	both := stateOf(t, snap, cs[1].ID)
	if got := both.Result.Acceptances; len(got) != 2 || !got[0].DateAgreed.IsZero() || !got[1].DateAgreed.Equal(mca("2024-05-06").DateAgreed) {
		t.Fatalf(".NET minimum date read back as %+v, want the undated record first, then the dated one", got)
	}
	if got, want := both.Result.Standing(run.Required, currentSince), StandingAccepted; got != want || !both.OutdatedSince.IsZero() {
		t.Fatalf("undated plus current record: Standing %s OutdatedSince %v, want %s and none", got, both.OutdatedSince, want)
	}
}

// One customer's odd answer is stored as that customer's error; the other
// 499 customers of its batch are stored, and the run completes.
func TestDB_SaveResults_OneOddCustomerDoesNotFailTheBatch(t *testing.T) {
	noType := mca("2024-01-02")
	noType.Type = ""
	tests := []struct {
		name    string
		odd     func(Customer) Result
		message string
	}{
		{"record without a type", func(c Customer) Result { return okResult(c, mca("2024-01-02"), noType) },
			"the answer could not be stored: acceptance record 2 has no agreement type"},
		{"more records than kept", func(c Customer) Result {
			return okResult(c, slices.Repeat([]Acceptance{mca("2024-01-02")}, maxRecords+1)...)
		}, "the answer could not be stored: 1025 acceptance records, at most 1024 are kept"},
		{"unknown status", func(c Customer) Result { return Result{Customer: c, Status: "maybe", Attempts: 2} },
			`the answer could not be stored: status "maybe" is unknown`},
		{"unknown direct-sign answer", func(c Customer) Result { r := okResult(c); r.DirectSigned = 7; return r },
			"the answer could not be stored: direct-sign answer 7 is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpenDB(t, newClock())
			cs := testCustomers(500)
			run := mustBegin(t, db, cs)
			batch := make([]Result, len(cs))
			for i, c := range cs {
				batch[i] = okResult(c, mca("2024-01-02"))
			}
			batch[250] = tt.odd(cs[250])
			if err := db.SaveResults(run.ID, batch); err != nil {
				t.Fatalf("SaveResults() with one odd customer: %v", err)
			}
			done := mustFinish(t, db, run.ID, StateComplete)
			if done.Done != 500 || done.Errors != 1 || done.State != StateComplete {
				t.Fatalf("run %s with %d done, %d errors; want complete, 500, 1", done.State, done.Done, done.Errors)
			}
			snap := mustSnapshot(t, db, run.ID)
			if len(snap.Customers) != 500 {
				t.Fatalf("snapshot has %d customers, want 500", len(snap.Customers))
			}
			for _, s := range snap.Customers {
				r := s.Result
				if r.Customer.ID == cs[250].ID {
					if r.Status != StatusError || r.ErrorCode != InvalidAnswer || r.Message != tt.message || len(r.Acceptances) != 0 {
						t.Fatalf("odd customer stored as %+v, want an %s error saying %q", r, InvalidAnswer, tt.message)
					}
					continue
				}
				if r.Status != StatusOK || len(r.Acceptances) != 1 {
					t.Fatalf("customer %s stored as %+v, want its ok answer", r.Customer.ID, r)
				}
			}
		})
	}
}

// An error result that came with records is stored as the error it is.
func TestDB_SaveResults_ErrorWithRecordsKeepsTheError(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(2)
	run := mustBegin(t, db, cs)
	bad := errResult(cs[1])
	bad.Acceptances = []Acceptance{mca("2024-01-02")}
	mustSave(t, db, run.ID, okResult(cs[0]), bad)
	got := stateOf(t, mustSnapshot(t, db, run.ID), cs[1].ID).Result
	if got.Status != StatusError || got.ErrorCode != "3000" || len(got.Acceptances) != 0 || !strings.Contains(got.Message, "server error") {
		t.Fatalf("error result with records stored as %+v, want the error without records", got)
	}
}
