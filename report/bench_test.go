package report

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/storage"
)

// benchSnapshots builds two runs of n customers with the 2023-04-01
// cut-off: a fifth missing, of the others about half outdated (dated
// 2019 to 2024, as a real portfolio in 2026), some direct-signed,
// re-dated, newly accepted, failing, joining and leaving, so every branch
// of Diff does work.
func benchSnapshots(n int) (previous, current *storage.Snapshot) {
	previous = withCut(snapshot(1, day1), cut)
	current = withCut(snapshot(2, day2), cut)
	for i := range n {
		c := storage.Customer{
			ID:          fmt.Sprintf("%08x-0000-4000-8000-%012d", i, i),
			CompanyName: fmt.Sprintf("Customer %06d Handelsbolag, Sverige", (i*7919)%n),
			Domain:      fmt.Sprintf("customer%06d.onmicrosoft.com", i),
		}
		rec := storage.Acceptance{
			Type: mca, DateAgreed: time.Date(2019+i%6, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC),
			TemplateID: "117a69d6-1b6e-4e1d-a3d4-2f6c3fa1b5e2", ContactName: "Anna Andersson",
			ContactEmail: "anna@customer.example", ContactPhone: "+46 8 123 45 67",
		}
		redated := rec
		redated.DateAgreed = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		switch i % 50 {
		case 0, 1: // errors now, last good carried forward
			good := okResult(c, storage.DirectNotAsked, rec)
			previous.Customers = append(previous.Customers, okState(c, storage.DirectNotAsked, rec))
			current.Customers = append(current.Customers, errState(c, &good))
		case 2, 3, 4: // re-dated
			previous.Customers = append(previous.Customers, okState(c, storage.DirectNotAsked, rec))
			current.Customers = append(current.Customers, okState(c, storage.DirectNotAsked, rec, redated))
		case 5: // direct-signed
			previous.Customers = append(previous.Customers, okState(c, storage.DirectSigned))
			current.Customers = append(current.Customers, okState(c, storage.DirectSigned))
		case 6: // joined
			current.Customers = append(current.Customers, okState(c, storage.DirectNotAsked, rec))
		case 7: // left
			previous.Customers = append(previous.Customers, okState(c, storage.DirectNotAsked, rec))
		case 8, 9: // newly accepted
			previous.Customers = append(previous.Customers, missingState(c, day1))
			current.Customers = append(current.Customers, okState(c, storage.DirectNotAsked, rec))
		default:
			if i%5 == 0 { // missing
				previous.Customers = append(previous.Customers, missingState(c, day1))
				current.Customers = append(current.Customers, missingState(c, day1))
				continue
			}
			previous.Customers = append(previous.Customers, okState(c, storage.DirectNotAsked, rec))
			current.Customers = append(current.Customers, okState(c, storage.DirectNotAsked, rec))
		}
	}
	return previous, current
}

func BenchmarkDiff(b *testing.B) {
	previous, current := benchSnapshots(100_000)
	b.ReportAllocs()
	for b.Loop() {
		Diff(previous, current, DiffOptions{})
	}
}

func BenchmarkWriteCSV(b *testing.B) {
	previous, current := benchSnapshots(100_000)
	r := Diff(previous, current, DiffOptions{})
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(r, WriteOptions{Dir: dir, Formats: []string{FormatCSV}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteXLSX reports, beside the time, the peak Go heap sampled
// while writing (peak-heap-MB) and the process's peak resident memory
// (VmHWM-MB, meaningful when this benchmark runs alone in its process:
// go test -run=X -bench=XLSX).
func BenchmarkWriteXLSX(b *testing.B) {
	previous, current := benchSnapshots(100_000)
	r := Diff(previous, current, DiffOptions{})
	trend := make([]storage.TrendPoint, 30)
	for i := range trend {
		trend[i] = storage.TrendPoint{RunID: int64(i + 1), Started: day1.AddDate(0, 0, i), Accepted: 70_000 + i, Missing: 20_000 - i}
	}
	dir := b.TempDir()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(r, WriteOptions{Dir: dir, Formats: []string{FormatXLSX}, Trend: trend}); err != nil {
			b.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(base.HeapAlloc)/(1<<20), "input-heap-MB")
	if hwm, ok := vmHWM(); ok {
		b.ReportMetric(float64(hwm)/(1<<10), "VmHWM-MB")
	}
}

// vmHWM reads the process's peak resident set size in KiB (Linux only).
func vmHWM() (int, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb, err == nil
		}
	}
	return 0, false
}
