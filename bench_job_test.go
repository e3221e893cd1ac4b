package main

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestPhaseRecorder: top-level steps get their own peak memory; a step
// inside another is only timed, and repeats are summed.
func TestPhaseRecorder(t *testing.T) {
	rec := newPhaseRecorder()
	endFetch := rec.begin("fetch")
	for range 3 {
		rec.begin("save")()
	}
	endFetch()
	endBig := rec.begin("xlsx")
	big := make([]byte, 64<<20)
	for i := range big { // touch every page, so it is resident
		big[i] = 1
	}
	endBig()
	rec.begin("csv")() // begins with big still live
	runtime.KeepAlive(big)
	rec.close()

	got := map[string]benchPhase{}
	for _, p := range rec.result() {
		got[p.Name] = p
	}
	if len(got) != 4 || got["save"].Count != 3 || !got["save"].Nested || got["save"].PeakRSS != 0 || got["save"].PeakHeap != 0 {
		t.Errorf("phases = %+v, want fetch, save (3 times, nested, no memory), xlsx and csv", got)
	}
	if got["fetch"].Nested || got["fetch"].Count != 1 {
		t.Errorf("fetch = %+v, want one top-level step", got["fetch"])
	}
	if h := got["xlsx"].PeakHeap; h < 64<<20 {
		t.Errorf("xlsx peak heap = %d bytes, want at least the 64 MiB it allocated", h)
	}
	if a := got["xlsx"].HeapAfter; a < 64<<20 {
		t.Errorf("xlsx live heap after = %d bytes, want at least the 64 MiB it kept", a)
	}
	if b := got["csv"].HeapBefore; b < 64<<20 {
		t.Errorf("csv live heap before = %d bytes, want at least the 64 MiB xlsx left it", b)
	}
	if b, a := got["fetch"].HeapBefore, got["fetch"].HeapAfter; b >= 32<<20 || a >= 32<<20 {
		t.Errorf("fetch live heap before/after = %d/%d bytes, want both under 32 MiB (it kept nothing)", b, a)
	}
	if runtime.GOOS == "linux" {
		if rss, fetch := got["xlsx"].PeakRSS, got["fetch"].PeakRSS; rss < fetch+60<<20 {
			t.Errorf("xlsx peak RSS = %d, fetch %d: want xlsx ≥ fetch + 60 MiB (64 MiB touched)", rss, fetch)
		}
	}
}

// TestE2E_Bench runs "mcawatch bench" for two small portfolios and checks
// that every step of both runs of each N is reported with its numbers, and
// the memory of the sweeps side by side.
func TestE2E_Bench(t *testing.T) {
	dir := t.TempDir()
	w := &workspace{t: t, dir: dir}
	r := w.run("bench", "--customers", "150,300", "--throttle", "2000", "--latency", "2ms",
		"--concurrency", "8", "--out", filepath.Join(dir, "bench"))
	if r.code != 0 {
		t.Fatalf("bench exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	steps := []string{"list customers", "sweep (fetch+store)", "per request", "store (begin+save+finish)",
		"finish", "load", "diff", "xlsx", "csv", "whole job"}
	for _, n := range []string{"150", "300"} {
		var rows []string
		for _, line := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(line); len(f) > 3 && slices.Index(f, n) > 0 {
				rows = append(rows, strings.TrimSpace(line))
			}
		}
		for _, step := range steps {
			k := 0
			for _, row := range rows {
				if !strings.HasPrefix(row, step) {
					continue
				}
				k++
				f := strings.Fields(strings.TrimPrefix(row, step))
				i := slices.Index(f, n)
				if i < 0 || i+2 >= len(f) || f[i+2] != "s" {
					t.Errorf("N=%s %q: no time in %q", n, step, row)
					continue
				}
				secs, err := strconv.ParseFloat(f[i+1], 64)
				if err != nil || secs < 0 || (secs == 0 && (step == "whole job" || strings.HasPrefix(step, "sweep"))) {
					t.Errorf("N=%s %q: time %q is not a number of seconds", n, step, f[i+1])
				}
			}
			if k != 2 {
				t.Errorf("N=%s: step %q reported %d times, want once for each of the 2 runs\n%s", n, step, k, r.stdout)
			}
		}
		entries, err := os.ReadDir(filepath.Join(dir, "bench", n, "reports"))
		var reports []string
		for _, e := range entries {
			if e.IsDir() { // latest is a link to the newest
				reports = append(reports, e.Name())
			}
		}
		if err != nil || len(reports) != 2 {
			t.Errorf("N=%s: report folders %v (%v), want the 2 runs'", n, reports, err)
		}
	}
	if !strings.Contains(r.stdout, "sweep memory side by side") {
		t.Errorf("no side-by-side memory table:\n%s", r.stdout)
	}
}
