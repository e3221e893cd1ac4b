package report

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// rows renders a report's lists compactly, one string a row, so a failing
// case shows what a reader of the spreadsheet would see.
type rows struct {
	missing, new, removed, errors, acceptances []string
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
			summary:  Summary{Customers: 1, Missing: 1},
		},
		{
			name:     "missing with no streak starts at this run",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current:  snapshot(2, day2, missingState(contoso, time.Time{})),
			want: rows{
				missing: []string{"Contoso since 2026-11-21T02:00:00Z"},
				removed: []string{"Contoso 2019-08-26 t1"},
			},
			summary: Summary{Customers: 1, Missing: 1, Removed: 1, NewlyMissing: 1},
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
			name:     "record replaced: new and removed",
			previous: snapshot(1, day1, okState(contoso, storage.DirectNotAsked, mcaOld)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaNew)),
			want: rows{
				new:         []string{"Contoso 2026-11-20 t2 prev 2019-08-26"},
				removed:     []string{"Contoso 2019-08-26 t1"},
				acceptances: []string{"Contoso direct= " + mca + " 2026-11-20"},
			},
			summary: Summary{Customers: 1, Accepted: 1, New: 1, Removed: 1},
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
			name:     "ok again after error with no last good: records are new",
			previous: snapshot(1, day1, errState(contoso, nil)),
			current:  snapshot(2, day2, okState(contoso, storage.DirectNotAsked, mcaOld)),
			want: rows{
				new:         []string{"Contoso 2019-08-26 t1 prev -"},
				acceptances: []string{"Contoso direct= " + mca + " 2019-08-26"},
			},
			summary: Summary{Customers: 1, Accepted: 1, New: 1},
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
			summary:  Summary{Customers: 1, Missing: 1, Joined: 1, NewlyMissing: 1},
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
			summary: Summary{Customers: 2, Accepted: 1, Missing: 1},
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
			summary: Summary{Customers: 1, Missing: 1, New: 1},
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
			summary: Summary{Customers: 3, Missing: 3, Removed: 1, NewlyMissing: 1},
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

func TestDiff_Fixture(t *testing.T) {
	r := Diff(mustLoadSnapshot(t, "previous.json"), mustLoadSnapshot(t, "current.json"), DiffOptions{})
	want := Summary{Customers: 10, Accepted: 6, DirectSigned: 1, Missing: 2, New: 2, Removed: 1,
		Errors: 2, Joined: 2, Left: 1, NewlyMissing: 1}
	if r.Summary != want {
		t.Errorf("Summary = %+v, want %+v", r.Summary, want)
	}
}
