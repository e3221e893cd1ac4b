package report

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// rows renders a report's lists compactly, one string a row, so a failing
// case shows what a reader of the spreadsheet would see.
type rows struct {
	missing, outdated, new, removed, errors, acceptances []string
}

func reportRows(r *Report) rows {
	var out rows
	date := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.DateOnly)
	}
	for _, m := range r.Missing {
		out.missing = append(out.missing, m.Customer.CompanyName+" since "+m.MissingSince.UTC().Format(time.RFC3339))
	}
	for _, o := range r.Outdated {
		out.outdated = append(out.outdated, fmt.Sprintf("%s latest %s %s since %s", o.Customer.CompanyName,
			date(o.LatestDateAgreed), o.ContactName, o.OutdatedSince.UTC().Format(time.RFC3339)))
	}
	for _, n := range r.New {
		out.new = append(out.new, fmt.Sprintf("%s %s %s prev %s", n.Customer.CompanyName,
			date(n.Acceptance.DateAgreed), n.Acceptance.TemplateID, date(n.PreviousDateAgreed)))
	}
	for _, m := range r.Removed {
		out.removed = append(out.removed, fmt.Sprintf("%s %s %s", m.Customer.CompanyName,
			date(m.Acceptance.DateAgreed), m.Acceptance.TemplateID))
	}
	for _, e := range r.Errors {
		out.errors = append(out.errors, fmt.Sprintf("%s %d", e.Customer.CompanyName, e.HTTPStatus))
	}
	for _, a := range r.Acceptances {
		s := a.Customer.CompanyName + " direct=" + directSignedText(a.DirectSigned)
		if a.Acceptance != nil {
			s += " " + a.Acceptance.Type + " " + date(a.Acceptance.DateAgreed)
		}
		out.acceptances = append(out.acceptances, s)
	}
	return out
}

func TestDiff(t *testing.T) {
	contoso := customer(1, "Contoso")
	fabrikam := customer(2, "Fabrikam")
	tailspin := customer(3, "Tailspin")
	mcaOld := record(mca, "2019-08-26", "t1")
	mcaNew := record(mca, "2026-11-20", "t2")
	mcaGood := okResult(contoso, storage.DirectNotAsked, mcaOld)

	tests := []struct {
		name              string
		previous, current *storage.Snapshot
		opts              DiffOptions
		want              rows
		summary           Summary
	}{
		{
			name:     "missing with since from storage",
			previous: snapshot(1, day1, missingState(contoso, day1)),
			current:  snapshot(2, day2, missingState(contoso, day1)),
			want:     rows{missing: []string{"Contoso since 2026-11-20T02:00:00Z"}},
			summary:  Summary{Customers: 1, Missing: 1, Blocked: 1},
		},
		{
			name:     "missing with no streak starts at this run",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current:  snapshot(2, day2, missingState(contoso, time.Time{})),
			want: rows{
				missing: []string{"Contoso since 2026-11-21T02:00:00Z"},
				removed: []string{"Contoso 2019-08-26 t1"},
			},
			summary: Summary{Customers: 1, Missing: 1, Blocked: 1, Removed: 1, NewlyMissing: 1},
		},
		{
			name:     "new first acceptance",
			previous: snapshot(1, day1, missingState(contoso, day1)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaNew)),
			want: rows{
				new:         []string{"Contoso 2026-11-20 t2 prev -"},
				acceptances: []string{"Contoso direct= " + mca + " 2026-11-20"},
			},
			summary: Summary{Customers: 1, Accepted: 1, New: 1},
		},
		{
			name:     "re-dated acceptance sets previous_date_agreed",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaOld, mcaNew)),
			want: rows{
				new: []string{"Contoso 2026-11-20 t2 prev 2019-08-26"},
				acceptances: []string{
					"Contoso direct= " + mca + " 2019-08-26",
					"Contoso direct= " + mca + " 2026-11-20",
				},
			},
			summary: Summary{Customers: 1, Accepted: 1, New: 1},
		},
		{
			name:     "record replaced by a later one: one re-dated New row, no Removed",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaNew)),
			want: rows{
				new:         []string{"Contoso 2026-11-20 t2 prev 2019-08-26"},
				acceptances: []string{"Contoso direct= " + mca + " 2026-11-20"},
			},
			summary: Summary{Customers: 1, Accepted: 1, New: 1},
		},
		{
			name:     "error now: only on Errors, records carried forward",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current:  snapshot(2, day2, errState(contoso, &mcaGood)),
			want:     rows{errors: []string{"Contoso 503"}},
			summary:  Summary{Customers: 1, Errors: 1},
		},
		{
			name:     "error now on a missing customer: not missing",
			previous: snapshot(1, day1, missingState(contoso, day1)),
			current:  snapshot(2, day2, errState(contoso, nil)),
			want:     rows{errors: []string{"Contoso 503"}},
			summary:  Summary{Customers: 1, Errors: 1},
		},
		{
			name:     "ok again after error: compared with last good, no spurious new",
			previous: snapshot(1, day1, errState(contoso, &mcaGood)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaOld)),
			want:     rows{acceptances: []string{"Contoso direct= " + mca + " 2019-08-26"}},
			summary:  Summary{Customers: 1, Accepted: 1},
		},
		{
			name:     "ok after a first-seen error: its first answer is the baseline",
			previous: snapshot(1, day1, errState(contoso, nil)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaOld)),
			want:     rows{acceptances: []string{"Contoso direct= " + mca + " 2019-08-26"}},
			summary:  Summary{Customers: 1, Accepted: 1},
		},
		{
			name: "customer leaving: counted, not removed",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld),
				okState(fabrikam, storage.DirectNotAsked, mcaOld)),
			current: snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaOld)),
			want:    rows{acceptances: []string{"Contoso direct= " + mca + " 2019-08-26"}},
			summary: Summary{Customers: 1, Accepted: 1, Left: 1},
		},
		{
			name:     "customer coming back: joined, its records new",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current: snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaOld),
				okState(fabrikam, storage.DirectNotAsked, mcaOld)),
			want: rows{
				new: []string{"Fabrikam 2019-08-26 t1 prev -"},
				acceptances: []string{
					"Contoso direct= " + mca + " 2019-08-26",
					"Fabrikam direct= " + mca + " 2019-08-26",
				},
			},
			summary: Summary{Customers: 2, Accepted: 2, New: 1, Joined: 1},
		},
		{
			name:     "joined while missing: newly missing",
			previous: snapshot(1, day1),
			current:  snapshot(2, day2, missingState(fabrikam, time.Time{})),
			want:     rows{missing: []string{"Fabrikam since 2026-11-21T02:00:00Z"}},
			summary:  Summary{Customers: 1, Missing: 1, Blocked: 1, Joined: 1, NewlyMissing: 1},
		},
		{
			name:     "direct-signed is not missing",
			previous: snapshot(1, day1, missingState(contoso, day1)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectSigned)),
			want:     rows{acceptances: []string{"Contoso direct=true"}},
			summary:  Summary{Customers: 1, Accepted: 1, DirectSigned: 1},
		},
		{
			name:    "first run baseline: no new, no removed, no joined",
			current: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld, mcaNew), missingState(fabrikam, time.Time{})),
			want: rows{
				missing: []string{"Fabrikam since 2026-11-20T02:00:00Z"},
				acceptances: []string{
					"Contoso direct= " + mca + " 2019-08-26",
					"Contoso direct= " + mca + " 2026-11-20",
				},
			},
			summary: Summary{Customers: 2, Accepted: 1, Missing: 1, Blocked: 1},
		},
		{
			name:    "first run with since: records dated since are new",
			current: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld, mcaNew), okState(fabrikam, storage.DirectNotAsked, mcaOld)),
			opts:    DiffOptions{Since: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
			want: rows{
				new: []string{"Contoso 2026-11-20 t2 prev 2019-08-26"},
				acceptances: []string{
					"Contoso direct= " + mca + " 2019-08-26",
					"Contoso direct= " + mca + " 2026-11-20",
					"Fabrikam direct= " + mca + " 2019-08-26",
				},
			},
			summary: Summary{Customers: 2, Accepted: 2, New: 1},
		},
		{
			name:    "first run with since: date equal to since is new",
			current: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaNew)),
			opts:    DiffOptions{Since: mcaNew.DateAgreed},
			want: rows{
				new:         []string{"Contoso 2026-11-20 t2 prev -"},
				acceptances: []string{"Contoso direct= " + mca + " 2026-11-20"},
			},
			summary: Summary{Customers: 1, Accepted: 1, New: 1},
		},
		{
			name:     "other agreement types are listed but do not count as accepted",
			previous: snapshot(1, day1, missingState(contoso, day1)),
			current: snapshot(2, day2, storage.CustomerState{
				Result:       okResult(contoso, storage.DirectNotSigned, record("MicrosoftCloudAgreement", "2017-01-01", "c1")),
				MissingSince: day1,
			}),
			want: rows{
				missing:     []string{"Contoso since 2026-11-20T02:00:00Z"},
				new:         []string{"Contoso 2017-01-01 c1 prev -"},
				acceptances: []string{"Contoso direct=false MicrosoftCloudAgreement 2017-01-01"},
			},
			summary: Summary{Customers: 1, Missing: 1, Blocked: 1, New: 1},
		},
		{
			name: "newly missing counts only changes into missing",
			previous: snapshot(1, day1,
				missingState(contoso, day1),
				okState(fabrikam, storage.DirectNotAsked, mcaOld),
				errState(tailspin, &storage.Result{Customer: tailspin, Status: storage.StatusOK, DirectSigned: storage.DirectNotSigned}),
			),
			current: snapshot(2, day2,
				missingState(contoso, day1),
				missingState(fabrikam, day2),
				missingState(tailspin, day1),
			),
			want: rows{
				missing: []string{
					"Contoso since 2026-11-20T02:00:00Z",
					"Fabrikam since 2026-11-21T02:00:00Z",
					"Tailspin since 2026-11-20T02:00:00Z",
				},
				removed: []string{"Fabrikam 2019-08-26 t1"},
			},
			summary: Summary{Customers: 3, Missing: 3, Blocked: 3, Removed: 1, NewlyMissing: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Diff(tt.previous, tt.current, tt.opts)
			got := reportRows(r)
			for _, c := range []struct {
				list      string
				got, want []string
			}{
				{"Missing", got.missing, tt.want.missing},
				{"Outdated", got.outdated, tt.want.outdated},
				{"New", got.new, tt.want.new},
				{"Removed", got.removed, tt.want.removed},
				{"Errors", got.errors, tt.want.errors},
				{"Acceptances", got.acceptances, tt.want.acceptances},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s rows = %q, want %q", c.list, c.got, c.want)
				}
			}
			if r.Summary != tt.summary {
				t.Errorf("Summary = %+v, want %+v", r.Summary, tt.summary)
			}
			if got, want := r.Previous == nil, tt.previous == nil; got != want {
				t.Errorf("Previous == nil is %v, want %v", got, want)
			}
		})
	}
}

func TestDiff_Order(t *testing.T) {
	states := []storage.CustomerState{
		missingState(customer(5, "beta"), day1),
		missingState(customer(4, "Beta"), day1),
		missingState(customer(3, "alpha"), day1),
		missingState(customer(2, "Älvsjö"), day1),
		missingState(customer(6, "Beta"), day1),
		missingState(customer(1, "ALPHA"), day1),
	}
	want := []string{"ALPHA 1", "alpha 3", "Beta 4", "Beta 6", "beta 5", "Älvsjö 2"}
	for _, reversed := range []bool{false, true} {
		s := slices.Clone(states)
		if reversed {
			slices.Reverse(s)
		}
		r := Diff(nil, snapshot(1, day1, s...), DiffOptions{})
		var got []string
		for _, m := range r.Missing {
			got = append(got, fmt.Sprintf("%s %d", m.Customer.CompanyName, m.Customer.ID[len(m.Customer.ID)-1]-'0'))
		}
		if !slices.Equal(got, want) {
			t.Errorf("reversed=%v: Missing order = %q, want %q", reversed, got, want)
		}
	}
}

func TestDiff_OrderRecords(t *testing.T) {
	c := customer(1, "Contoso")
	recs := []storage.Acceptance{
		record(mca, "2020-01-01", "b"),
		record("MicrosoftCloudAgreement", "2021-01-01", "a"),
		record(mca, "2020-01-01", "a"),
		record(mca, "2019-01-01", "z"),
	}
	r := Diff(nil, snapshot(1, day1, okState(c, storage.DirectNotAsked, recs...)), DiffOptions{Since: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)})
	var got []string
	for _, n := range r.New {
		got = append(got, n.Acceptance.Type+" "+n.Acceptance.DateAgreed.Format(time.DateOnly)+" "+n.Acceptance.TemplateID)
	}
	want := []string{
		"MicrosoftCloudAgreement 2021-01-01 a",
		mca + " 2019-01-01 z", mca + " 2020-01-01 a", mca + " 2020-01-01 b",
	}
	if !slices.Equal(got, want) {
		t.Errorf("New order = %q, want %q", got, want)
	}
}

// TestDiff_Fixture checks the counts of the hand-made fixture, worked out by
// hand customer by customer (see the golden CSV files for the rows).
func TestDiff_Fixture(t *testing.T) {
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	want := Summary{
		Customers:      18,
		Accepted:       6, // Åkerlund, Joined, Twice Told, Late Answer, Undated Gone, and -minus (direct-signed)
		DirectSigned:   1,
		Outdated:       5, // evil, Backdated, Contoso, Northwind, Undated Only
		Missing:        2, // Fabrikam, wingtip
		Blocked:        7,
		New:            5, // Joined, Backdated (re-dated earlier), Twice Told (once), Undated Only, Åkerlund
		Removed:        2, // wingtip, Undated Gone's undated record
		Errors:         3, // Escaped Message, Tailspin, Transport Err
		NoRelationship: 2, // Advisor Only, No Commerce
		Joined:         3, // Joined, Transport Err, Undated Only
		Left:           1, // Leaving Co
		NewlyMissing:   1, // wingtip
		NewlyOutdated:  2, // Backdated, Undated Only
	}
	if r.Summary != want {
		t.Errorf("Summary = %+v, want %+v", r.Summary, want)
	}
}

// cut is agreements.current_since as the tests use it.
var cut = time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)

// withCut sets the run's current_since cut-off.
func withCut(s *storage.Snapshot, since time.Time) *storage.Snapshot {
	s.Run.CurrentSince = since
	return s
}

// TestDiff_StateTransitions moves one customer from each state to each
// other (missing, outdated, accepted, direct-signed, error with its state
// carried forward, first seen with an error, not in the portfolio) and
// checks every row and count a compliance officer would read.
func TestDiff_StateTransitions(t *testing.T) {
	c := customer(1, "Contoso")
	old := record(mca, "2019-08-26", "t1")     // before the cut-off
	older := record(mca, "2018-03-03", "t1")   // before it too
	current := record(mca, "2024-05-05", "t2") // after it
	missing := okResult(c, storage.DirectNotSigned)
	outdated := okResult(c, storage.DirectNotSigned, old)
	twoOld := okResult(c, storage.DirectNotSigned, older, old)
	accepted := okResult(c, storage.DirectNotAsked, old, current) // one old, one new record
	direct := okResult(c, storage.DirectSigned, old)
	state := func(r storage.Result) storage.CustomerState { return storage.CustomerState{Result: r} }
	failed := func(last *storage.Result) storage.CustomerState { return errState(c, last) }

	const (
		since2 = "2026-11-21T02:00:00Z" // the current run's start: a streak starting now
		newOld = "Contoso 2019-08-26 t1 prev -"
		newCur = "Contoso 2024-05-05 t2 prev 2019-08-26"
		remOld = "Contoso 2019-08-26 t1"
		remCur = "Contoso 2024-05-05 t2"
	)
	missingRow := []string{"Contoso since " + since2}
	outdatedRow := []string{"Contoso latest 2019-08-26 Ada Admin since " + since2}
	errorRow := []string{"Contoso 503"}
	tests := []struct {
		name     string
		previous []storage.CustomerState // nil: not in the previous run
		current  storage.CustomerState
		want     rows
		summary  Summary
	}{
		{"missing to missing", []storage.CustomerState{state(missing)}, state(missing),
			rows{missing: missingRow}, Summary{Missing: 1, Blocked: 1}},
		{"missing to outdated", []storage.CustomerState{state(missing)}, state(outdated),
			rows{outdated: outdatedRow, new: []string{newOld}}, Summary{Outdated: 1, Blocked: 1, New: 1, NewlyOutdated: 1}},
		{"missing to accepted", []storage.CustomerState{state(missing)}, state(accepted),
			rows{new: []string{newOld, "Contoso 2024-05-05 t2 prev -"}}, Summary{Accepted: 1, New: 2}},
		{"missing to direct-signed", []storage.CustomerState{state(missing)}, state(direct),
			rows{new: []string{newOld}}, Summary{Accepted: 1, DirectSigned: 1, New: 1}},

		{"outdated to missing", []storage.CustomerState{state(outdated)}, state(missing),
			rows{missing: missingRow, removed: []string{remOld}}, Summary{Missing: 1, Blocked: 1, Removed: 1, NewlyMissing: 1}},
		{"outdated to outdated", []storage.CustomerState{state(outdated)}, state(outdated),
			rows{outdated: outdatedRow}, Summary{Outdated: 1, Blocked: 1}},
		{"outdated to accepted: re-accepting is New with the older date", []storage.CustomerState{state(outdated)}, state(accepted),
			rows{new: []string{newCur}}, Summary{Accepted: 1, New: 1}},
		{"outdated to direct-signed", []storage.CustomerState{state(outdated)}, state(direct),
			rows{}, Summary{Accepted: 1, DirectSigned: 1}},

		{"accepted to missing", []storage.CustomerState{state(accepted)}, state(missing),
			rows{missing: missingRow, removed: []string{remOld, remCur}}, Summary{Missing: 1, Blocked: 1, Removed: 2, NewlyMissing: 1}},
		{"accepted to outdated", []storage.CustomerState{state(accepted)}, state(outdated),
			rows{outdated: outdatedRow, removed: []string{remCur}}, Summary{Outdated: 1, Blocked: 1, Removed: 1, NewlyOutdated: 1}},
		{"accepted to accepted", []storage.CustomerState{state(accepted)}, state(accepted),
			rows{}, Summary{Accepted: 1}},
		{"accepted to direct-signed", []storage.CustomerState{state(accepted)}, state(direct),
			rows{removed: []string{remCur}}, Summary{Accepted: 1, DirectSigned: 1, Removed: 1}},

		{"direct-signed to missing", []storage.CustomerState{state(direct)}, state(missing),
			rows{missing: missingRow, removed: []string{remOld}}, Summary{Missing: 1, Blocked: 1, Removed: 1, NewlyMissing: 1}},
		{"direct-signed to outdated", []storage.CustomerState{state(direct)}, state(outdated),
			rows{outdated: outdatedRow}, Summary{Outdated: 1, Blocked: 1, NewlyOutdated: 1}},
		{"direct-signed to accepted", []storage.CustomerState{state(direct)}, state(accepted),
			rows{new: []string{newCur}}, Summary{Accepted: 1, New: 1}},
		{"direct-signed to direct-signed", []storage.CustomerState{state(direct)}, state(direct),
			rows{}, Summary{Accepted: 1, DirectSigned: 1}},

		{"missing to error: only on Errors", []storage.CustomerState{state(missing)}, failed(&missing),
			rows{errors: errorRow}, Summary{Errors: 1}},
		{"outdated to error: only on Errors", []storage.CustomerState{state(outdated)}, failed(&outdated),
			rows{errors: errorRow}, Summary{Errors: 1}},
		{"accepted to error: only on Errors", []storage.CustomerState{state(accepted)}, failed(&accepted),
			rows{errors: errorRow}, Summary{Errors: 1}},
		{"direct-signed to error: only on Errors", []storage.CustomerState{state(direct)}, failed(&direct),
			rows{errors: errorRow}, Summary{Errors: 1}},
		{"error to error", []storage.CustomerState{failed(&outdated)}, failed(&outdated),
			rows{errors: errorRow}, Summary{Errors: 1}},

		{"error carrying missing to missing: not newly missing", []storage.CustomerState{failed(&missing)}, state(missing),
			rows{missing: missingRow}, Summary{Missing: 1, Blocked: 1}},
		{"error carrying outdated to outdated: not newly outdated", []storage.CustomerState{failed(&outdated)}, state(outdated),
			rows{outdated: outdatedRow}, Summary{Outdated: 1, Blocked: 1}},
		{"error carrying outdated to accepted", []storage.CustomerState{failed(&outdated)}, state(accepted),
			rows{new: []string{newCur}}, Summary{Accepted: 1, New: 1}},
		{"error carrying accepted to outdated", []storage.CustomerState{failed(&accepted)}, state(outdated),
			rows{outdated: outdatedRow, removed: []string{remCur}}, Summary{Outdated: 1, Blocked: 1, Removed: 1, NewlyOutdated: 1}},
		{"error carrying direct-signed to missing", []storage.CustomerState{failed(&direct)}, state(missing),
			rows{missing: missingRow, removed: []string{remOld}}, Summary{Missing: 1, Blocked: 1, Removed: 1, NewlyMissing: 1}},

		{"first-seen error to outdated: baseline, newly outdated", []storage.CustomerState{failed(nil)}, state(outdated),
			rows{outdated: outdatedRow}, Summary{Outdated: 1, Blocked: 1, NewlyOutdated: 1}},
		{"first-seen error to accepted: baseline", []storage.CustomerState{failed(nil)}, state(accepted),
			rows{}, Summary{Accepted: 1}},
		{"first-seen error to missing: newly missing", []storage.CustomerState{failed(nil)}, state(missing),
			rows{missing: missingRow}, Summary{Missing: 1, Blocked: 1, NewlyMissing: 1}},

		{"joined outdated", nil, state(outdated),
			rows{outdated: outdatedRow, new: []string{newOld}}, Summary{Outdated: 1, Blocked: 1, New: 1, Joined: 1, NewlyOutdated: 1}},
		{"two old records: outdated, latest date the newer", []storage.CustomerState{state(twoOld)}, state(twoOld),
			rows{outdated: outdatedRow}, Summary{Outdated: 1, Blocked: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := withCut(snapshot(1, day1, tt.previous...), cut)
			cur := withCut(snapshot(2, day2, tt.current), cut)
			r := Diff(prev, cur, DiffOptions{})
			got := reportRows(r)
			for _, c := range []struct {
				list      string
				got, want []string
			}{
				{"Missing", got.missing, tt.want.missing},
				{"Outdated", got.outdated, tt.want.outdated},
				{"New", got.new, tt.want.new},
				{"Removed", got.removed, tt.want.removed},
				{"Errors", got.errors, tt.want.errors},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s rows = %q, want %q", c.list, c.got, c.want)
				}
			}
			want := tt.summary
			want.Customers = 1
			if tt.previous == nil {
				want.Joined = 1
			}
			if r.Summary != want {
				t.Errorf("Summary = %+v, want %+v", r.Summary, want)
			}
		})
	}
}

// TestDiff_StateTransitions_CarriedAcrossErrors moves a customer from each
// answered state to each other with a failed run in between: the report
// after the failure reads exactly as if the customer had answered with its
// last good state the night before (rows and counts alike).
func TestDiff_StateTransitions_CarriedAcrossErrors(t *testing.T) {
	c := customer(1, "Contoso")
	old := record(mca, "2019-08-26", "t1")
	current := record(mca, "2024-05-05", "t2")
	states := []struct {
		name string
		res  storage.Result
	}{
		{"missing", okResult(c, storage.DirectNotSigned)},
		{"outdated", okResult(c, storage.DirectNotSigned, old)},
		{"accepted", okResult(c, storage.DirectNotAsked, old, current)},
		{"direct-signed", okResult(c, storage.DirectSigned, old)},
	}
	for _, from := range states {
		for _, to := range states {
			t.Run(from.name+" to error to "+to.name, func(t *testing.T) {
				cur := withCut(snapshot(2, day2, storage.CustomerState{Result: to.res}), cut)
				direct := Diff(withCut(snapshot(1, day1, storage.CustomerState{Result: from.res}), cut), cur, DiffOptions{})
				last := from.res
				carried := Diff(withCut(snapshot(1, day1, errState(c, &last)), cut), cur, DiffOptions{})
				if got, want := reportRows(carried), reportRows(direct); !reflect.DeepEqual(got, want) {
					t.Errorf("rows after an error = %+v, want as without it %+v", got, want)
				}
				if carried.Summary != direct.Summary {
					t.Errorf("Summary after an error = %+v, want as without it %+v", carried.Summary, direct.Summary)
				}
			})
		}
	}
}

// TestDiff_RepeatedRecordGivesOneRow is an answer that lists one record
// twice (same type, date and template): one Acceptances row, and one New
// row when it is new.
func TestDiff_RepeatedRecordGivesOneRow(t *testing.T) {
	c := customer(1, "Contoso")
	kept := record(mca, "2024-03-03", "t1")
	added := record(mca, "2026-11-20", "t2")
	prev := snapshot(1, day1, okState(c, storage.DirectNotAsked, kept))
	cur := snapshot(2, day2, okState(c, storage.DirectNotAsked, kept, added, kept, added))
	got := reportRows(Diff(prev, cur, DiffOptions{}))
	if want := []string{"Contoso 2026-11-20 t2 prev 2024-03-03"}; !slices.Equal(got.new, want) {
		t.Errorf("New rows = %q, want %q", got.new, want)
	}
	if want := []string{"Contoso direct= " + mca + " 2024-03-03", "Contoso direct= " + mca + " 2026-11-20"}; !slices.Equal(got.acceptances, want) {
		t.Errorf("Acceptances rows = %q, want %q", got.acceptances, want)
	}
	if len(got.removed) != 0 {
		t.Errorf("Removed rows = %q, want none", got.removed)
	}
	// The same on a first run with --since, and with the repeat only in
	// the previous answer.
	first := reportRows(Diff(nil, cur, DiffOptions{Since: kept.DateAgreed}))
	if want := []string{"Contoso 2024-03-03 t1 prev -", "Contoso 2026-11-20 t2 prev -"}; !slices.Equal(first.new, want) {
		t.Errorf("first run New rows = %q, want %q", first.new, want)
	}
	back := reportRows(Diff(snapshot(1, day1, okState(c, storage.DirectNotAsked, kept, kept)), snapshot(2, day2, okState(c, storage.DirectNotAsked, kept)), DiffOptions{}))
	if len(back.new) != 0 || len(back.removed) != 0 {
		t.Errorf("a repeat that stopped: New %q, Removed %q; want none", back.new, back.removed)
	}
}

// TestDiff_RedateEitherWayIsOneNewRow is a record whose date changed, later
// or earlier: one New row whose previous_date_agreed is the old date, and
// no Removed row.
func TestDiff_RedateEitherWayIsOneNewRow(t *testing.T) {
	c := customer(1, "Contoso")
	tests := []struct {
		name          string
		before, after []storage.Acceptance
		want          []string
	}{
		{"later", []storage.Acceptance{record(mca, "2022-02-02", "t1")}, []storage.Acceptance{record(mca, "2024-04-04", "t1")},
			[]string{"Contoso 2024-04-04 t1 prev 2022-02-02"}},
		{"earlier", []storage.Acceptance{record(mca, "2024-06-10", "t1")}, []storage.Acceptance{record(mca, "2023-02-01", "t1")},
			[]string{"Contoso 2023-02-01 t1 prev 2024-06-10"}},
		{"earlier, new template", []storage.Acceptance{record(mca, "2024-06-10", "t2")}, []storage.Acceptance{record(mca, "2023-02-01", "t1")},
			[]string{"Contoso 2023-02-01 t1 prev 2024-06-10"}},
		{"one of two, earlier", []storage.Acceptance{record(mca, "2019-01-01", "t1"), record(mca, "2024-06-10", "t2")},
			[]storage.Acceptance{record(mca, "2019-01-01", "t1"), record(mca, "2023-02-01", "t2")},
			[]string{"Contoso 2023-02-01 t2 prev 2024-06-10"}},
		{"to an unknown date", []storage.Acceptance{record(mca, "2024-06-10", "t1")}, []storage.Acceptance{undated(mca, "t1")},
			[]string{"Contoso - t1 prev 2024-06-10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := snapshot(1, day1, okState(c, storage.DirectNotAsked, tt.before...))
			cur := snapshot(2, day2, okState(c, storage.DirectNotAsked, tt.after...))
			r := Diff(prev, cur, DiffOptions{})
			got := reportRows(r)
			if !slices.Equal(got.new, tt.want) {
				t.Errorf("New rows = %q, want %q", got.new, tt.want)
			}
			if len(got.removed) != 0 {
				t.Errorf("Removed rows = %q, want none: a re-date is one row", got.removed)
			}
		})
	}
}

// undated is a record without a usable date.
func undated(typ, template string) storage.Acceptance {
	return storage.Acceptance{Type: typ, TemplateID: template, ContactName: "Ada Admin"}
}

// TestDiff_FirstSeenErrorIsBaseline is a customer whose first appearance
// was an error: its first good answer is its baseline, so its historical
// records are not New; with --since they are judged as on a first run.
func TestDiff_FirstSeenErrorIsBaseline(t *testing.T) {
	c := customer(1, "Contoso")
	recs := []storage.Acceptance{record(mca, "2019-08-26", "t1"), record(mca, "2024-05-05", "t2")}
	prev := snapshot(1, day1, errState(c, nil))
	cur := snapshot(2, day2, okState(c, storage.DirectNotAsked, recs...))
	r := Diff(prev, cur, DiffOptions{})
	if len(r.New) != 0 || len(r.Removed) != 0 {
		t.Errorf("first good answer after a first-seen error: New %q, Removed %q; want none", reportRows(r).new, reportRows(r).removed)
	}
	if r.Summary.Joined != 0 {
		t.Errorf("Joined = %d, want 0: the customer was in the previous run", r.Summary.Joined)
	}
	withSince := Diff(prev, cur, DiffOptions{Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
	if got, want := reportRows(withSince).new, []string{"Contoso 2024-05-05 t2 prev 2019-08-26"}; !slices.Equal(got, want) {
		t.Errorf("with --since: New rows = %q, want %q", got, want)
	}
}

// TestDiff_NoRelationshipIsLabelledNotCounted is a customer Partner Center
// refuses with 403 code 20002, and an advisor-only customer that failed:
// both are labelled on Errors and kept out of the error count that alarms.
func TestDiff_NoRelationshipIsLabelledNotCounted(t *testing.T) {
	noCommerce := storage.CustomerState{Result: storage.Result{Customer: customer(1, "No Commerce"), Status: storage.StatusError,
		HTTPStatus: 403, ErrorCode: "20002", Message: "Forbidden", Attempts: 1}}
	advisor := customer(2, "Advisor Only")
	advisor.Relationship = "advisor"
	advisorErr := storage.CustomerState{Result: storage.Result{Customer: advisor, Status: storage.StatusError,
		HTTPStatus: 403, Message: "Forbidden", Attempts: 1}}
	reseller := customer(3, "Reseller Broken")
	reseller.Relationship = "Reseller"
	broken := storage.CustomerState{Result: storage.Result{Customer: reseller, Status: storage.StatusError,
		HTTPStatus: 403, ErrorCode: "13605", Message: "Forbidden", Attempts: 1}}
	unknown := errState(customer(4, "Unknown Relationship"), nil) // Relationship empty: a real error
	// fetch stores the 20002 answer with its own code.
	fromFetch := storage.CustomerState{Result: storage.Result{Customer: customer(5, "No Commerce Via Fetch"), Status: storage.StatusError,
		HTTPStatus: 403, ErrorCode: "no_relationship", Message: "Partner Center answered 403 Forbidden code 20002", Attempts: 1}}
	r := Diff(nil, snapshot(1, day1, noCommerce, advisorErr, broken, unknown, fromFetch), DiffOptions{})
	want := map[string]bool{"No Commerce": true, "Advisor Only": true, "Reseller Broken": false, "Unknown Relationship": false,
		"No Commerce Via Fetch": true}
	for _, e := range r.Errors {
		label := e.Message == NoRelationshipMessage
		if e.NoRelationship != want[e.Customer.CompanyName] || label != want[e.Customer.CompanyName] {
			t.Errorf("%s: NoRelationship = %v, message %q; want labelled = %v", e.Customer.CompanyName, e.NoRelationship, e.Message, want[e.Customer.CompanyName])
		}
	}
	if got, want := len(r.Errors), 5; got != want {
		t.Errorf("Errors rows = %d, want %d: every failed customer is listed", got, want)
	}
	if r.Summary.Errors != 2 || r.Summary.NoRelationship != 3 {
		t.Errorf("Summary Errors = %d, NoRelationship = %d; want 2 and 3", r.Summary.Errors, r.Summary.NoRelationship)
	}
}

// TestDiff_ErrorMessageIsReadable is a message that still carries the HTML
// entities Partner Center escapes text with.
func TestDiff_ErrorMessageIsReadable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"We&#39;re sorry &amp; the request &lt;failed&gt; &quot;twice&quot;", `We're sorry & the request <failed> "twice"`},
		{"Caf&#xE9; &eacute;clair", "Café éclair"},
		{"R&D and R&nothing failed", "R&D and R&nothing failed"}, // no entity: left as written
		{"plain", "plain"},
	}
	for _, tt := range tests {
		st := errState(customer(1, "Contoso"), nil)
		st.Result.Message = tt.in
		r := Diff(nil, snapshot(1, day1, st), DiffOptions{})
		if got := r.Errors[0].Message; got != tt.want {
			t.Errorf("Errors message of %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestDiff_EachRunJudgedByItsOwnCutoff moves agreements.current_since
// forward between two runs: the current run is judged by its new cut-off,
// the previous run by the one it stored, so a customer the new cut-off
// makes outdated is newly outdated, and an old report re-diffed says what
// it said then.
func TestDiff_EachRunJudgedByItsOwnCutoff(t *testing.T) {
	c := customer(1, "Contoso")
	rec := record(mca, "2024-05-05", "t1")
	later := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := withCut(snapshot(1, day1, okState(c, storage.DirectNotSigned, rec)), cut)
	cur := withCut(snapshot(2, day2, okState(c, storage.DirectNotSigned, rec)), later)
	r := Diff(prev, cur, DiffOptions{})
	if r.Summary.Outdated != 1 || r.Summary.NewlyOutdated != 1 || r.Summary.Accepted != 0 {
		t.Errorf("after moving the cut-off: Summary = %+v, want 1 outdated, newly", r.Summary)
	}
	old := Diff(nil, prev, DiffOptions{})
	if old.Summary.Accepted != 1 || old.Summary.Outdated != 0 {
		t.Errorf("re-diffing the earlier run: Summary = %+v, want it accepted as then", old.Summary)
	}
	off := Diff(prev, withCut(snapshot(2, day2, okState(c, storage.DirectNotSigned, record(mca, "2019-01-01", "t0"))), time.Time{}), DiffOptions{})
	if off.Summary.Outdated != 0 || off.Summary.Accepted != 1 {
		t.Errorf("with the check off: Summary = %+v, want every acceptance current", off.Summary)
	}
}

// TestDiff_OutdatedRowShowsNewestRecord checks the Outdated row's latest
// date and contact: those of the newest record of the required type, the
// date empty when every record is undated.
func TestDiff_OutdatedRowShowsNewestRecord(t *testing.T) {
	c := customer(1, "Contoso")
	a := record(mca, "2019-08-26", "t1")
	a.ContactName, a.ContactEmail = "Old Contact", "old@contoso.example"
	b := record(mca, "2021-02-02", "t1")
	b.ContactName, b.ContactEmail = "New Contact", "new@contoso.example"
	other := record("MicrosoftCloudAgreement", "2022-02-02", "c1")
	u := undated(mca, "t9")
	u.ContactName, u.ContactEmail = "Undated Contact", "u@contoso.example"
	tests := []struct {
		name       string
		recs       []storage.Acceptance
		wantLatest string
		wantName   string
		wantEmail  string
	}{
		{"newest of two", []storage.Acceptance{b, a, other}, "2021-02-02", "New Contact", "new@contoso.example"},
		{"dated beats undated", []storage.Acceptance{u, a}, "2019-08-26", "Old Contact", "old@contoso.example"},
		{"undated only", []storage.Acceptance{u}, "", "Undated Contact", "u@contoso.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := okState(c, storage.DirectNotSigned, tt.recs...)
			st.OutdatedSince = day1
			r := Diff(nil, withCut(snapshot(2, day2, st), cut), DiffOptions{})
			if len(r.Outdated) != 1 {
				t.Fatalf("Outdated rows = %d, want 1", len(r.Outdated))
			}
			o := r.Outdated[0]
			latest := ""
			if !o.LatestDateAgreed.IsZero() {
				latest = o.LatestDateAgreed.Format(time.DateOnly)
			}
			if latest != tt.wantLatest || o.ContactName != tt.wantName || o.ContactEmail != tt.wantEmail || !o.OutdatedSince.Equal(day1) {
				t.Errorf("Outdated row = %s %q %q since %v; want %s %q %q since %v", latest, o.ContactName, o.ContactEmail,
					o.OutdatedSince, tt.wantLatest, tt.wantName, tt.wantEmail, day1)
			}
		})
	}
}

func TestSummary_Changed(t *testing.T) {
	tests := []struct {
		s    Summary
		want bool
	}{
		{Summary{Customers: 10, Accepted: 5, Missing: 3, Outdated: 2, Blocked: 5}, false},
		{Summary{New: 1}, true},
		{Summary{Removed: 1}, true},
		{Summary{NewlyMissing: 1}, true},
		{Summary{NewlyOutdated: 1}, true},
	}
	for _, tt := range tests {
		if got := tt.s.Changed(); got != tt.want {
			t.Errorf("%+v.Changed() = %v, want %v", tt.s, got, tt.want)
		}
	}
}
