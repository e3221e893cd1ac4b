package storage

import (
	"os"
	"testing"
	"time"
)

const (
	benchCustomers = 100_000
	benchBatch     = 500
)

// benchResults is a sweep's answers: two records per customer, and in a
// second sweep one customer in a hundred failing.
func benchResults(cs []Customer, withErrors bool) []Result {
	rs := make([]Result, len(cs))
	for i, c := range cs {
		if withErrors && i%100 == 0 {
			rs[i] = errResult(c)
			continue
		}
		rs[i] = crashRecords(c)
	}
	return rs
}

// storeSweep stores one sweep the way a sweep does: the run with its
// customer list, then the results in batches. It returns the time BeginRun
// took.
func storeSweep(tb testing.TB, db *DB, cs []Customer, rs []Result) (Run, time.Duration) {
	tb.Helper()
	start := time.Now()
	run := mustBegin(tb, db, cs)
	begin := time.Since(start)
	for i := 0; i < len(rs); i += benchBatch {
		mustSave(tb, db, run.ID, rs[i:min(i+benchBatch, len(rs))]...)
	}
	return run, begin
}

// BenchmarkDB_StoreSnapshot stores a 100,000-customer sweep with two records
// each, in batches of 500, over a database that already holds one complete
// sweep (the nightly case). ns/op is BeginRun plus the SaveResults calls;
// begin-ms is the BeginRun part of it; finish-ms is FinishRun (counts and missing streaks); db-bytes is the
// checkpointed file size holding the two sweeps.
func BenchmarkDB_StoreSnapshot(b *testing.B) {
	cs := testCustomers(benchCustomers)
	first, second := benchResults(cs, false), benchResults(cs, true)
	var begin, finish time.Duration
	var size int64
	for b.Loop() {
		b.StopTimer()
		c := newClock()
		db := mustOpenDB(b, c)
		run, _ := storeSweep(b, db, cs, first)
		mustFinish(b, db, run.ID, StateComplete)
		c.t = c.t.Add(24 * time.Hour)
		b.StartTimer()

		run, took := storeSweep(b, db, cs, second)
		begin += took

		b.StopTimer()
		start := time.Now()
		mustFinish(b, db, run.ID, StateComplete)
		finish += time.Since(start)
		size = checkpointedSize(b, db)
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(begin.Milliseconds())/float64(b.N), "begin-ms")
	b.ReportMetric(float64(finish.Milliseconds())/float64(b.N), "finish-ms")
	b.ReportMetric(float64(size), "db-bytes")
}

// BenchmarkDB_LoadSnapshot loads the second of two 100,000-customer sweeps
// (two records each, 1% errors whose last good state is carried forward).
func BenchmarkDB_LoadSnapshot(b *testing.B) {
	cs := testCustomers(benchCustomers)
	c := newClock()
	db := mustOpenDB(b, c)
	run, _ := storeSweep(b, db, cs, benchResults(cs, false))
	mustFinish(b, db, run.ID, StateComplete)
	c.t = c.t.Add(24 * time.Hour)
	run, _ = storeSweep(b, db, cs, benchResults(cs, true))
	mustFinish(b, db, run.ID, StateComplete)

	for b.Loop() {
		snap, err := db.LoadSnapshot(run.ID)
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Customers) != benchCustomers {
			b.Fatalf("snapshot has %d customers", len(snap.Customers))
		}
	}
}

// checkpointedSize moves the write-ahead log into the database file and
// returns the file's size.
func checkpointedSize(tb testing.TB, db *DB) int64 {
	tb.Helper()
	if _, err := db.writer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		tb.Fatal(err)
	}
	fi, err := os.Stat(db.Path())
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}
