package report

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// benchGrouping spreads the customers of cur across resellers resellers
// as pctest does: a tenth direct, 4% under two resellers, the rest under
// one.
func benchGrouping(cur *storage.Snapshot, resellers int) *storage.Grouping {
	g := &storage.Grouping{ByCustomer: map[string][]string{}}
	for i := range resellers {
		g.Resellers = append(g.Resellers, storage.Reseller{
			ID: fmt.Sprintf("%08x-1111-4000-8000-%012d", i, i), Name: fmt.Sprintf("Reseller %04d: Cloud/IT AB", i)})
	}
	for i := range cur.Customers {
		id := cur.Customers[i].Result.Customer.ID
		switch {
		case i%10 == 0: // direct
		case i%25 == 1:
			g.ByCustomer[id] = []string{g.Resellers[i%resellers].ID, g.Resellers[(i+1)%resellers].ID}
		default:
			g.ByCustomer[id] = []string{g.Resellers[i%resellers].ID}
		}
	}
	return g
}

// peakHeap samples the Go heap every 20 ms until the returned function is
// called, which returns the peak in MB.
func peakHeap() (stop func() float64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	})
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak.Load()) / (1 << 20)
	}
}

// BenchmarkWriteSplit compares, at 100,000 customers under 2,000
// resellers, the grouped report (xlsx and CSV) with the same report split
// into one folder per reseller (report.split_by_reseller): time and the
// peak Go heap of each. Run alone: go test -run=X -bench=WriteSplit ./report.
func BenchmarkWriteSplit(b *testing.B) {
	previous, current := benchSnapshots(100_000)
	g := benchGrouping(current, 2_000)
	for _, split := range []bool{false, true} {
		name := "plain"
		if split {
			name = "split"
		}
		b.Run(name, func(b *testing.B) {
			r := Diff(previous, current, DiffOptions{})
			Group(r, current, g)
			dir := b.TempDir()
			runtime.GC()
			stop := peakHeap()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Write(r, WriteOptions{Dir: dir, SplitByReseller: split}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(stop(), "peak-heap-MB")
		})
	}
}
