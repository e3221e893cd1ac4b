package storage

import (
	"reflect"
	"testing"
	"time"
)

func TestDB_Trend(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(4)
	signed := okResult(cs[3])
	signed.DirectSigned = DirectSigned
	batches := []struct {
		state RunState
		batch []Result
	}{
		{StateComplete, []Result{okResult(cs[0]), okResult(cs[1]), errResult(cs[2]), signed}},
		{StateComplete, []Result{okResult(cs[0], mca("2024-01-01")), okResult(cs[1]), okResult(cs[2]), signed}},
		{StateFailed, []Result{okResult(cs[0])}},
		{StateComplete, []Result{okResult(cs[0], mca("2024-01-01")), errResult(cs[1]), okResult(cs[2], mca("2024-05-05")), signed}},
		{StateComplete, nil},
	}
	var starts []time.Time
	for _, b := range batches {
		run := mustBegin(t, db, cs)
		if b.batch != nil {
			mustSave(t, db, run.ID, b.batch...)
		}
		mustFinish(t, db, run.ID, b.state)
		starts = append(starts, run.Started)
		c.t = c.t.Add(24 * time.Hour)
	}

	tests := []struct {
		name  string
		upto  int64
		limit int
		want  []TrendPoint
	}{
		{"last two up to run 4", 4, 2, []TrendPoint{
			{RunID: 2, Started: starts[1], Customers: 4, Accepted: 2, Missing: 2},
			{RunID: 4, Started: starts[3], Customers: 4, Accepted: 3, Missing: 1, Errors: 1}, // customer 1 carries its missing state
		}},
		{"all", 10, 10, []TrendPoint{
			{RunID: 1, Started: starts[0], Customers: 4, Accepted: 1, Missing: 2, Errors: 1},
			{RunID: 2, Started: starts[1], Customers: 4, Accepted: 2, Missing: 2},
			{RunID: 4, Started: starts[3], Customers: 4, Accepted: 3, Missing: 1, Errors: 1}, // customer 1 carries its missing state
			{RunID: 5, Started: starts[4]},
		}},
		{"before any complete run", 0, 5, []TrendPoint{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Trend(tt.upto, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Trend(%d, %d) =\n %+v\nwant\n %+v", tt.upto, tt.limit, got, tt.want)
			}
		})
	}
}

// A night on which accepted customers fail does not look like a night on
// which they lost their acceptance: errors count by the state they carry.
func TestDB_Trend_ErrorsDoNotLowerAccepted(t *testing.T) {
	c := newClock()
	db := mustOpenDB(t, c)
	cs := testCustomers(6)
	sp := spec
	sp.CurrentSince = time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)
	nights := [][]Result{
		{okResult(cs[0], mca("2024-01-01")), okResult(cs[1], mca("2024-01-01")), okResult(cs[2], mca("2024-01-01")),
			okResult(cs[3], mca("2020-01-01")), okResult(cs[4]), errResult(cs[5])},
		{errResult(cs[0]), errResult(cs[1]), errResult(cs[2]), errResult(cs[3]), errResult(cs[4]), errResult(cs[5])},
	}
	for _, batch := range nights {
		run, err := db.BeginRun(sp, cs)
		if err != nil {
			t.Fatal(err)
		}
		mustSave(t, db, run.ID, batch...)
		mustFinish(t, db, run.ID, StateComplete)
		c.t = c.t.Add(24 * time.Hour)
	}
	got, err := db.Trend(2, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []TrendPoint{
		{RunID: 1, Started: got[0].Started, Customers: 6, Accepted: 3, Outdated: 1, Missing: 1, Errors: 1},
		// Customer 5 has never answered: it counts in Errors alone.
		{RunID: 2, Started: got[1].Started, Customers: 6, Accepted: 3, Outdated: 1, Missing: 1, Errors: 6},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Trend() =\n %+v\nwant\n %+v", got, want)
	}
}
