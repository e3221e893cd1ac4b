package storage

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDB_LoadSnapshot_RoundTrip(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(50)
	run := mustBegin(t, db, cs)
	stockholm := time.FixedZone("CET", 3600)
	rec := Acceptance{Type: "MicrosoftCustomerAgreement", DateAgreed: time.Date(2019, 8, 26, 1, 0, 0, 0, stockholm),
		TemplateID: "t-2", ContactName: "Ada Lovelace", ContactEmail: "ada@contoso.example", ContactPhone: "+46 8 123 45",
		AgreementLink: "https://aka.ms/customeragreement", UserID: "u-1"}
	older := rec
	older.TemplateID = "t-1"
	mcaOther := rec
	mcaOther.Type = "MicrosoftCloudAgreement"
	var batch []Result
	for i, c := range cs {
		switch i % 3 {
		case 0:
			batch = append(batch, okResult(c, rec, mcaOther, older))
		case 1:
			r := okResult(c)
			r.DirectSigned = DirectNotSigned
			batch = append(batch, r)
		default:
			batch = append(batch, errResult(c))
		}
	}
	mustSave(t, db, run.ID, batch[:20]...)
	mustSave(t, db, run.ID, batch[20:]...)
	snap := mustSnapshot(t, db, run.ID)

	if len(snap.Customers) != len(cs) {
		t.Fatalf("snapshot has %d customers, want %d", len(snap.Customers), len(cs))
	}
	if !slices.IsSortedFunc(snap.Customers, func(a, b CustomerState) int {
		return strings.Compare(a.Result.Customer.ID, b.Result.Customer.ID)
	}) {
		t.Fatal("snapshot customers are not sorted by id")
	}
	for i, want := range batch {
		got := stateOf(t, snap, want.Customer.ID).Result
		if i%3 == 0 {
			utc := func(a Acceptance) Acceptance { a.DateAgreed = a.DateAgreed.UTC(); return a }
			want.Acceptances = []Acceptance{utc(mcaOther), utc(older), utc(rec)}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("customer %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if got := stateOf(t, snap, cs[0].ID).Result.Acceptances[0].DateAgreed; got != time.Date(2019, 8, 26, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("date_agreed = %v, want 2019-08-26T00:00:00Z", got)
	}
}

// TestDB_LoadSnapshot_Streaks follows one customer through a sequence of
// runs and checks its missing streak and carried-forward state.
func TestDB_LoadSnapshot_Streaks(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(3)
	a, signed, flaky := cs[0], cs[1], cs[2]
	direct := okResult(signed)
	direct.DirectSigned = DirectSigned
	cloud := mca("2020-02-02")
	cloud.Type = "MicrosoftCloudAgreement"

	steps := []struct {
		name  string
		state RunState
		a     Result
		flaky Result
	}{
		{"missing", StateComplete, okResult(a, cloud), errResult(flaky)},
		{"missing again", StateComplete, okResult(a), okResult(flaky)},
		{"error", StateComplete, errResult(a), errResult(flaky)},
		{"accepted in an interrupted run", StateInterrupted, okResult(a, mca("2024-01-01")), okResult(flaky)},
		{"error again", StateComplete, errResult(a), okResult(flaky, mca("2024-02-02"))},
		{"missing after errors", StateComplete, okResult(a), okResult(flaky, mca("2024-02-02"))},
		{"accepted", StateComplete, okResult(a, mca("2024-03-03")), okResult(flaky, mca("2024-02-02"))},
		{"missing anew", StateComplete, okResult(a), errResult(flaky)},
	}
	var runs []Run
	for _, s := range steps {
		run := mustBegin(t, db, cs)
		mustSave(t, db, run.ID, s.a, direct, s.flaky)
		runs = append(runs, mustFinish(t, db, run.ID, s.state))
		c.t = c.t.Add(24 * time.Hour)
	}
	day := func(i int) time.Time { return runs[i].Started }

	tests := []struct {
		run          int // index into steps
		wantSince    time.Time
		wantLastGood int // index of the run of a's last good result, -1 for none
	}{
		{0, day(0), -1},
		{1, day(0), -1},
		{2, time.Time{}, 1},
		{4, time.Time{}, 1}, // the interrupted run's answer is not carried
		{5, day(0), -1},
		{6, time.Time{}, -1},
		{7, day(7), -1},
	}
	for _, tt := range tests {
		t.Run(steps[tt.run].name, func(t *testing.T) {
			snap := mustSnapshot(t, db, runs[tt.run].ID)
			got := stateOf(t, snap, a.ID)
			if !got.MissingSince.Equal(tt.wantSince) {
				t.Errorf("MissingSince = %v, want %v", got.MissingSince, tt.wantSince)
			}
			if tt.wantLastGood < 0 {
				if got.LastGood != nil {
					t.Errorf("LastGood = %+v, want nil", got.LastGood)
				}
			} else {
				want := steps[tt.wantLastGood].a
				if !reflect.DeepEqual(got.LastGood, &want) {
					t.Errorf("LastGood = %+v, want %+v", got.LastGood, want)
				}
			}
			if s := stateOf(t, snap, signed.ID); !s.MissingSince.IsZero() || s.Result.DirectSigned != DirectSigned {
				t.Errorf("direct-signed customer: MissingSince = %v, DirectSigned = %d; want not missing", s.MissingSince, s.Result.DirectSigned)
			}
		})
	}

	// The flaky customer's first answer is an error: nothing to carry.
	if got := stateOf(t, mustSnapshot(t, db, runs[0].ID), flaky.ID); got.LastGood != nil || !got.MissingSince.IsZero() {
		t.Fatalf("first-run error: LastGood = %v, MissingSince = %v; want nil and zero", got.LastGood, got.MissingSince)
	}
	// Its first ok answer starts a streak; its error in the last run carries
	// the newest ok answer of a complete run.
	if got := stateOf(t, mustSnapshot(t, db, runs[1].ID), flaky.ID); !got.MissingSince.Equal(day(1)) {
		t.Fatalf("flaky MissingSince in run 2 = %v, want %v", got.MissingSince, day(1))
	}
	last := stateOf(t, mustSnapshot(t, db, runs[7].ID), flaky.ID)
	want := okResult(flaky, mca("2024-02-02"))
	if !reflect.DeepEqual(last.LastGood, &want) {
		t.Fatalf("flaky LastGood in the last run = %+v, want its accepted answer", last.LastGood)
	}
}

func TestDB_LoadSnapshot_NotFound(t *testing.T) {
	db := mustOpenDB(t, newClock())
	if _, err := db.LoadSnapshot(3); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("LoadSnapshot(3) error = %v, want not found", err)
	}
}
