package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// growthNights and growthChanging are the growth benchmark's nights and the
// customers that change each night (0.1% of benchCustomers).
const (
	growthNights   = 30
	growthChanging = benchCustomers / 1000
)

// growthNight is night n's answers: two records a customer, as
// benchResults, and on each night a different 0.1% of the customers
// changed: a third of them re-dated, a third failing, a third that signed
// directly with no partner record.
func growthNight(cs []Customer, n int) []Result {
	rs := benchResults(cs, false)
	for k := 0; k < growthChanging; k++ {
		i := (n*growthChanging + k) * 7919 % len(cs)
		switch k % 3 {
		case 0:
			r := crashRecords(cs[i])
			r.Acceptances[1].DateAgreed = r.Acceptances[1].DateAgreed.AddDate(0, 0, n)
			rs[i] = r
		case 1:
			rs[i] = errResult(cs[i])
		default:
			r := okResult(cs[i])
			r.DirectSigned = DirectSigned
			rs[i] = r
		}
	}
	return rs
}

// BenchmarkDB_Growth30Nights stores 30 nightly sweeps of 100,000 customers
// with 0.1% changing each night and logs, night by night, the database
// size and the time to store and to finish the sweep; then the time to
// load the last snapshot, a customer's History, RunCounts, and Prune to the
// last 7 runs with the space it gives back, against VACUUM INTO. Run it
// alone, once (it writes about 2 GB):
//
//	go test -run '^$' -bench Growth30Nights -benchtime 1x -timeout 60m ./storage/
//
// MCAWATCH_GROWTH_KEEP=DIR keeps in DIR the database of the 30 nights
// (growth-30.db, before Prune) for the size study in docs/bench/history.md.
func BenchmarkDB_Growth30Nights(b *testing.B) {
	cs := testCustomers(benchCustomers)
	for b.Loop() {
		dir := b.TempDir()
		if keep := os.Getenv("MCAWATCH_GROWTH_KEEP"); keep != "" {
			dir = keep
		}
		c := newClock()
		path := filepath.Join(dir, "growth.db")
		db := mustOpenPath(b, path, c)
		var last Run
		var worstStore, worstFinish time.Duration
		for n := 1; n <= growthNights; n++ {
			rs := growthNight(cs, n)
			start := time.Now()
			run, _ := storeSweep(b, db, cs, rs)
			store := time.Since(start)
			start = time.Now()
			if _, err := db.FinishRun(run.ID, StateComplete); err != nil {
				b.Fatal(err)
			}
			finish := time.Since(start)
			if err := db.SetReport(run.ID, fmt.Sprintf("reports/run%d", run.ID)); err != nil {
				b.Fatal(err)
			}
			worstStore, worstFinish = max(worstStore, store), max(worstFinish, finish)
			b.Logf("night %2d: %7.1f MB, store %v, finish %v", n, mb(checkpointedSize(b, db)), store.Round(time.Millisecond),
				finish.Round(time.Millisecond))
			last = run
			c.t = c.t.Add(24 * time.Hour)
		}
		size := checkpointedSize(b, db)

		start := time.Now()
		snap := mustSnapshot(b, db, last.ID)
		load := time.Since(start)
		if len(snap.Customers) != benchCustomers {
			b.Fatalf("snapshot has %d customers", len(snap.Customers))
		}
		ctx := context.Background()
		// A customer that changed on several nights: re-dated, failed,
		// signed directly.
		changed := cs[(1*growthChanging)*7919%len(cs)].ID
		start = time.Now()
		const histories = 20
		for range histories {
			if _, err := db.History(ctx, changed); err != nil {
				b.Fatal(err)
			}
		}
		history := time.Since(start) / histories
		start = time.Now()
		if _, err := db.RunCounts(ctx); err != nil {
			b.Fatal(err)
		}
		counts := time.Since(start)

		start = time.Now()
		into := filepath.Join(dir, "growth-30.db")
		if _, err := db.writer.Exec(`VACUUM INTO ?`, into); err != nil {
			b.Fatal(err)
		}
		vacuumInto := time.Since(start)
		fi, err := os.Stat(into)
		if err != nil {
			b.Fatal(err)
		}
		if os.Getenv("MCAWATCH_GROWTH_KEEP") == "" {
			os.Remove(into)
		}

		start = time.Now()
		res, err := db.Prune(ctx, Retention{KeepLast: 7}, false)
		if err != nil {
			b.Fatal(err)
		}
		prune := time.Since(start)
		b.Logf("30 nights: %.1f MB; worst store %v, worst finish %v; LoadSnapshot %v; History %v; RunCounts %v",
			mb(size), worstStore.Round(time.Millisecond), worstFinish.Round(time.Millisecond), load.Round(time.Millisecond),
			history.Round(time.Microsecond), counts.Round(time.Microsecond))
		b.Logf("VACUUM INTO of the 30 nights: %v, %.1f MB", vacuumInto.Round(time.Millisecond), mb(fi.Size()))
		b.Logf("Prune keep_last 7: removed %d runs in %v, %.1f MB → %.1f MB", len(res.Removed),
			prune.Round(time.Millisecond), mb(res.BytesBefore), mb(res.BytesAfter))
		b.ReportMetric(mb(size), "MB-30-nights")
		b.ReportMetric(float64(worstStore.Milliseconds()), "worst-store-ms")
		b.ReportMetric(float64(load.Milliseconds()), "load-ms")
		b.ReportMetric(float64(history.Microseconds())/1000, "history-ms")
		db.Close()
	}
}

// mb is bytes in megabytes (10^6).
func mb(n int64) float64 { return float64(n) / 1e6 }
