package storage

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// `mcawatch history` answers "since when has this customer been missing,
// and when did it accept?": its standing in each complete run collapsed
// into spans, each record with the runs it first and last appeared in, and
// its errors with their codes.
func TestDB_History_SpansRecordsAndErrors(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(2)
	x := cs[0]
	s := spec
	s.CurrentSince = mustDate("2023-04-01")
	var started []time.Time
	sweep := func(list []Customer, state RunState, rs ...Result) {
		run, err := db.BeginRun(s, list)
		if err != nil {
			t.Fatal(err)
		}
		mustSave(t, db, run.ID, rs...)
		mustFinish(t, db, run.ID, state)
		started = append(started, run.Started)
		c.t = c.t.Add(24 * time.Hour)
	}
	old, current := mca("2020-01-01"), mca("2024-06-01")
	current.ContactName = "Grace Hopper"
	sweep(cs, StateComplete, okResult(x), okResult(cs[1]))                                 // 1 missing
	sweep(cs, StateComplete, okResult(x), okResult(cs[1]))                                 // 2 missing
	sweep(cs, StateComplete, errResult(x), okResult(cs[1]))                                // 3 error
	sweep(cs, StateComplete, okResult(x, old), okResult(cs[1]))                            // 4 outdated
	sweep(cs, StateInterrupted, okResult(x, old, current))                                 // 5 not complete: left out
	sweep(cs[1:], StateComplete, okResult(cs[1]))                                          // 6 not listed
	sweep(cs, StateComplete, okResult(x, old, current), okResult(cs[1]))                   // 7 accepted
	sweep([]Customer{cs[1], x}, StateComplete, okResult(cs[1]), okResult(x, old, current)) // 8 accepted

	h, err := db.History(context.Background(), strings.ToUpper(x.ID))
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	span := func(st Standing, from, to int64, runs int) StandingSpan {
		return StandingSpan{Standing: st, FromRun: from, From: started[from-1], ToRun: to, To: started[to-1], Runs: runs}
	}
	wantSpans := []StandingSpan{
		span(StandingMissing, 1, 2, 2),
		span(StandingError, 3, 3, 1),
		span(StandingOutdated, 4, 4, 1),
		span(StandingNotListed, 6, 6, 1),
		span(StandingAccepted, 7, 8, 2),
	}
	wantSpans[4].Current = true
	if !reflect.DeepEqual(h.Spans, wantSpans) {
		t.Errorf("History().Spans =\n %+v\nwant\n %+v", h.Spans, wantSpans)
	}
	wantRecords := []RecordSpan{
		{Acceptance: old, FirstRun: 4, FirstSeen: started[3], LastRun: 8, LastSeen: started[7], Current: true},
		{Acceptance: current, FirstRun: 7, FirstSeen: started[6], LastRun: 8, LastSeen: started[7], Current: true},
	}
	if !reflect.DeepEqual(h.Records, wantRecords) {
		t.Errorf("History().Records =\n %+v\nwant\n %+v", h.Records, wantRecords)
	}
	wantErrors := []RunError{{RunID: 3, Started: started[2], HTTPStatus: 500, ErrorCode: "3000", Message: "server error", Attempts: 6}}
	if !reflect.DeepEqual(h.Errors, wantErrors) {
		t.Errorf("History().Errors = %+v, want %+v", h.Errors, wantErrors)
	}
	if h.Customer != x {
		t.Errorf("History().Customer = %+v, want %+v", h.Customer, x)
	}
	b, err := json.Marshal(h)
	if err != nil || !strings.Contains(string(b), `"standing":"missing","from_run":1`) {
		t.Errorf("json of History = %s (%v), want snake_case fields", b, err)
	}

	if _, err := db.History(context.Background(), testCustomers(3)[2].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("History(unknown customer) = %v, want ErrNotFound", err)
	}
	if _, err := db.History(context.Background(), "not-a-guid"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("History(not-a-guid) = %v, want an error about the id", err)
	}
}

// A record that disappears and one re-dated stop at their last run and
// are no longer current.
func TestDB_History_RecordThatWentIsNotCurrent(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	x := testCustomers(1)[0]
	for _, rs := range [][]Acceptance{{mca("2024-01-02")}, {mca("2024-01-02")}, {mca("2025-02-03")}} {
		run := mustBegin(t, db, []Customer{x})
		mustSave(t, db, run.ID, okResult(x, rs...))
		mustFinish(t, db, run.ID, StateComplete)
		c.t = c.t.Add(24 * time.Hour)
	}
	run := mustBegin(t, db, []Customer{x})
	mustSave(t, db, run.ID, errResult(x))
	mustFinish(t, db, run.ID, StateComplete)
	h, err := db.History(context.Background(), x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Records) != 2 || h.Records[0].LastRun != 2 || h.Records[0].Current || h.Records[1].FirstRun != 3 || !h.Records[1].Current {
		t.Fatalf("History().Records = %+v, want the 2024 record in runs 1-2 (gone), the 2025 one from run 3 (current)", h.Records)
	}
	if n := len(h.Spans); n != 2 || h.Spans[1].Standing != StandingError || !h.Spans[1].Current {
		t.Fatalf("History().Spans = %+v, want accepted then a current error span", h.Spans)
	}
}
