package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcawatch/mcawatch/config"
	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/jobs"
	"github.com/mcawatch/mcawatch/report"
	"github.com/mcawatch/mcawatch/storage"
)

// benchPhase is one step of a measured job, as "bench job" reports it.
type benchPhase struct {
	Name     string  `json:"name"`
	Seconds  float64 `json:"seconds"`   // summed over the step's occurrences
	Count    int     `json:"count"`     // occurrences (a "save" per batch)
	Nested   bool    `json:"nested"`    // ran inside another step; no memory of its own
	PeakRSS  int64   `json:"peak_rss"`  // bytes; 0 when unknown
	PeakHeap int64   `json:"peak_heap"` // bytes of heap objects, sampled
	// HeapBefore is the live heap when the step began (after a GC): what
	// earlier steps left for this one, which PeakHeap includes.
	HeapBefore int64 `json:"heap_before"`
	// HeapAfter is the live heap when the step ended (after a GC): what
	// it keeps, with what it was given.
	HeapAfter int64 `json:"heap_after"`
}

// benchJobResult is what "bench job" prints: one JSON object.
// The requests and 429s are counted by the parent's server.
type benchJobResult struct {
	Seconds float64      `json:"seconds"`
	Phases  []benchPhase `json:"phases"`
}

// runBenchJob is "mcawatch bench job": one whole job (list, sweep, store,
// diff, xlsx, csv) against the Partner Center at --url, with each step timed
// and its peak memory measured. "mcawatch bench" runs it in a child process
// so that the peak RSS is the job's alone, not the built-in Partner
// Center's.
func (m *Main) runBenchJob(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench job", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	url := fs.String("url", "", "Partner Center base `url` (loopback); the token comes from MCAWATCH_ACCESS_TOKEN")
	dir := fs.String("dir", "", "`dir`ectory of the database and reports")
	concurrency := fs.Int("concurrency", fetch.DefaultConcurrency, "requests in flight")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the job to `file`")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the job to `file`")
	heapProfile := fs.String("heapprofile", "", "write a profile of the heap live at the end of the sweep (fetch step) to `file`")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *url == "" || *dir == "" {
		return errors.New("bench job: --url and --dir are required")
	}
	token := m.Getenv("MCAWATCH_ACCESS_TOKEN")
	if token == "" {
		return errors.New("bench job: MCAWATCH_ACCESS_TOKEN is empty")
	}
	// The job judges acceptances against the default cut-off, as a user's
	// run does: customers with only an outdated acceptance are asked the
	// direct-sign status too, and the report has its Outdated rows.
	currentSince, err := config.Default().Agreements.CurrentSinceTime()
	if err != nil {
		return err
	}
	client, err := fetch.New(fetch.Options{
		BaseURL: *url, Token: fetch.StaticToken(token), Concurrency: *concurrency, Version: version,
		CurrentSince: currentSince,
	})
	if err != nil {
		return err
	}
	db, err := storage.Open(filepath.Join(*dir, "bench.db"), storage.Options{})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()

	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rec := newPhaseRecorder()
	rec.heapProfile = *heapProfile
	defer rec.close()
	started := time.Now()
	if _, err := jobs.Sweep(ctx, db, client, jobs.SweepOptions{
		Kind:         "run",
		CurrentSince: currentSince,
		Report:       report.WriteOptions{Dir: filepath.Join(*dir, "reports")},
		Phase:        rec.begin,
		Now:          m.Now,
	}); err != nil {
		return err
	}
	elapsed := time.Since(started)
	if rec.heapErr != nil {
		return rec.heapErr
	}
	if *memProfile != "" {
		if err := writeProfile(*memProfile, "allocs"); err != nil {
			return err
		}
	}
	return json.NewEncoder(m.Stdout).Encode(benchJobResult{Seconds: elapsed.Seconds(), Phases: rec.result()})
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// phaseRecorder times the steps a jobs.Sweep reports through its Phase hook
// and measures each top-level step's peak memory: before a step it returns
// freed memory to the OS and resets the kernel's RSS high-water mark, so the
// step's VmHWM is its own; a sampler records the peak of live heap objects.
type phaseRecorder struct {
	mu     sync.Mutex
	phases []*benchPhase
	depth  int

	heapPeak atomic.Int64
	// heapProfile, when set, is where the end of the fetch step writes the
	// live heap: what the sweep holds, with nothing of later steps in it.
	heapProfile string
	heapErr     error
	stop        chan struct{}
	done        chan struct{}
}

func newPhaseRecorder() *phaseRecorder {
	r := &phaseRecorder{stop: make(chan struct{}), done: make(chan struct{})}
	go r.sample()
	return r
}

// sample polls the heap size every millisecond: cheap (runtime/metrics
// needs no stop-the-world) and fine enough for steps of 10 ms and more.
func (r *phaseRecorder) sample() {
	defer close(r.done)
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		if v := heapObjects(); v > r.heapPeak.Load() {
			r.heapPeak.Store(v)
		}
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
	}
}

func (r *phaseRecorder) close() {
	close(r.stop)
	<-r.done
}

// begin is the jobs.SweepOptions.Phase hook.
func (r *phaseRecorder) begin(step string) (end func()) {
	r.mu.Lock()
	top := r.depth == 0
	r.depth++
	var p *benchPhase
	for _, q := range r.phases {
		if q.Name == step {
			p = q
		}
	}
	if p == nil {
		p = &benchPhase{Name: step, Nested: !top}
		r.phases = append(r.phases, p)
	}
	r.mu.Unlock()
	var before int64
	if top {
		debug.FreeOSMemory()
		resetPeakRSS()
		before = heapObjects()
		r.heapPeak.Store(0)
	}
	start := time.Now()
	return func() {
		d := time.Since(start)
		var rss, heap, after int64
		if top {
			rss, heap = peakRSS(), r.heapPeak.Load()
			runtime.GC()
			after = heapObjects()
			if step == "fetch" && r.heapProfile != "" {
				// The profile shows the heap as of the GC above.
				r.heapErr = writeProfile(r.heapProfile, "heap")
			}
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.depth--
		p.Seconds += d.Seconds()
		p.Count++
		p.PeakRSS = max(p.PeakRSS, rss)
		p.PeakHeap = max(p.PeakHeap, heap)
		p.HeapBefore = max(p.HeapBefore, before)
		p.HeapAfter = max(p.HeapAfter, after)
	}
}

func (r *phaseRecorder) result() []benchPhase {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]benchPhase, len(r.phases))
	for i, p := range r.phases {
		out[i] = *p
	}
	return out
}

// heapObjects is the bytes of heap objects, live or not yet swept.
func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// resetPeakRSS sets the process's RSS high-water mark (VmHWM) to its
// current RSS (Linux ≥ 4.0; elsewhere it does nothing).
func resetPeakRSS() {
	if runtime.GOOS == "linux" {
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	}
}

// peakRSS is the process's RSS high-water mark in bytes, 0 when unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:")); ok {
			f := bytes.Fields(rest)
			if len(f) == 2 && string(f[1]) == "kB" {
				kb, err := strconv.ParseInt(string(f[0]), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	return 0
}
