package storage

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDB_BeginRun(t *testing.T) {
	c := newClock()
	c.t = c.t.Add(1500 * time.Millisecond)
	db := mustOpenDB(t, c)
	cs := testCustomers(3)
	upper := cs[1]
	upper.ID = strings.ToUpper(upper.ID)
	run, err := db.BeginRun(spec, []Customer{cs[2], upper, cs[0], cs[2]})
	if err != nil {
		t.Fatalf("BeginRun: %v", err)
	}
	want := Run{ID: 1, Kind: "run", Started: time.Date(2026, 11, 22, 2, 0, 1, 0, time.UTC), State: StateRunning,
		CorrelationID: spec.CorrelationID, Required: spec.Required, Types: spec.Types, Customers: 3, PID: 4242, Host: "build-7"}
	if !reflect.DeepEqual(run, want) {
		t.Fatalf("BeginRun() = %+v, want %+v", run, want)
	}
	stored, err := db.Run(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, want) {
		t.Fatalf("Run() = %+v, want %+v", stored, want)
	}
	list, err := db.RunCustomers(run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wantList := []Customer{cs[2], cs[1], cs[0]}; !reflect.DeepEqual(list, wantList) {
		t.Fatalf("RunCustomers() = %v, want %v (order kept, repeats dropped, ids lower-case)", list, wantList)
	}

	_, err = db.BeginRun(spec, []Customer{cs[0], {ID: "contoso"}})
	if got, want := errString(err), `begin run: customer "contoso": id is not a GUID`; got != want {
		t.Fatalf("BeginRun(bad id) = %q, want %q", got, want)
	}
	if runs, _ := db.ListRuns(); len(runs) != 1 {
		t.Fatalf("a refused BeginRun stored a run: %d runs", len(runs))
	}
}

func TestDB_FinishRun(t *testing.T) {
	db := mustOpenDB(t, newClock())
	cs := testCustomers(3)
	run := mustBegin(t, db, cs)
	mustSave(t, db, run.ID, okResult(cs[0]), errResult(cs[1]))
	mustSave(t, db, run.ID, errResult(cs[0]))

	tests := []struct {
		name    string
		state   RunState
		wantErr string
	}{
		{"not a final state", StateRunning, `finish run 1: cannot finish in state "running"`},
		{"complete", StateComplete, ""},
		{"already finished", StateFailed, "finish run 1: it is complete, not running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.FinishRun(run.ID, tt.state)
			if tt.wantErr != "" {
				if errString(err) != tt.wantErr {
					t.Fatalf("FinishRun() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.State != StateComplete || got.Done != 2 || got.Errors != 2 || got.Finished.IsZero() {
				t.Fatalf("FinishRun() = %+v, want complete with done 2, errors 2, a finish time", got)
			}
			// The run's list is held for its saves only: a report after a
			// sweep of 100,000 customers must not carry it.
			db.list.mu.Lock()
			held := db.list.entries != nil
			db.list.mu.Unlock()
			if held {
				t.Fatal("the finished run's customer list is still cached")
			}
		})
	}
	if _, err := db.FinishRun(99, StateComplete); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FinishRun(99) error = %v, want ErrNotFound", err)
	}
}

func TestDB_ResumeRun(t *testing.T) {
	c := newClock()
	path := mustOpenDB(t, c).Path()
	first := mustOpenPath(t, path, c)
	run := mustBegin(t, first, testCustomers(2))
	mustFinish(t, first, run.ID, StateInterrupted)

	second, err := Open(path, Options{Now: c.Now, PID: 777, Host: "build-8"})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	got, err := second.ResumeRun(run.ID, "c0ffee00-0000-4000-8000-000000000002")
	if err != nil {
		t.Fatalf("ResumeRun: %v", err)
	}
	if got.State != StateRunning || got.PID != 777 || got.Host != "build-8" ||
		got.CorrelationID != "c0ffee00-0000-4000-8000-000000000002" || !got.Finished.IsZero() || !got.Started.Equal(run.Started) {
		t.Fatalf("ResumeRun() = %+v, want running, pid 777 on build-8, new correlation id, original start", got)
	}
	if stored, _ := second.Run(run.ID); !reflect.DeepEqual(stored, got) {
		t.Fatalf("stored run = %+v, want %+v", stored, got)
	}
	if _, err := second.ResumeRun(run.ID, ""); errString(err) != "resume run 1: it is running, not interrupted" {
		t.Fatalf("ResumeRun(running) error = %v", err)
	}
	if _, err := second.ResumeRun(42, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ResumeRun(42) error = %v, want ErrNotFound", err)
	}
}

func TestDB_LatestRun(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	if _, err := db.LatestRun(StateComplete); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestRun on empty db error = %v, want ErrNotFound", err)
	}
	states := []RunState{StateComplete, StateInterrupted, StateComplete, StateFailed, StateRunning}
	for _, s := range states {
		run := mustBegin(t, db, testCustomers(1))
		if s != StateRunning {
			mustFinish(t, db, run.ID, s)
		}
		c.t = c.t.Add(24 * time.Hour)
	}
	tests := []struct {
		state RunState
		want  int64
	}{{StateComplete, 3}, {StateInterrupted, 2}, {StateFailed, 4}, {StateRunning, 5}}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			got, err := db.LatestRun(tt.state)
			if err != nil || got.ID != tt.want {
				t.Fatalf("LatestRun(%s) = %d, %v; want %d", tt.state, got.ID, err, tt.want)
			}
		})
	}

	prev := []struct {
		run     int64
		want    int64
		missing bool
	}{{5, 3, false}, {3, 1, false}, {2, 1, false}, {1, 0, true}}
	for _, tt := range prev {
		got, err := db.PreviousComplete(tt.run)
		if tt.missing {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("PreviousComplete(%d) error = %v, want ErrNotFound", tt.run, err)
			}
			continue
		}
		if err != nil || got.ID != tt.want {
			t.Fatalf("PreviousComplete(%d) = %d, %v; want %d", tt.run, got.ID, err, tt.want)
		}
	}

	runs, err := db.ListRuns()
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	if want := []int64{5, 4, 3, 2, 1}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("ListRuns() ids = %v, want %v", ids, want)
	}
	if _, err := db.Run(9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Run(9) error = %v, want ErrNotFound", err)
	}
}
