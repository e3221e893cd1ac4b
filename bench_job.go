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
}

// benchJobResult is what "bench job" prints: one JSON object.
type benchJobResult struct {
	RunID     int64        `json:"run_id"`
	Customers int          `json:"customers"`
	Seconds   float64      `json:"seconds"`
	Requests  int64        `json:"requests"`  // as the client counted them
	Throttled int64        `json:"throttled"` // 429 answers the client saw
	Phases    []benchPhase `json:"phases"`
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
	client, err := fetch.New(fetch.Options{
		BaseURL: *url, Token: fetch.StaticToken(token), Concurrency: *concurrency, Version: version,
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
	defer rec.close()
	started := time.Now()
	out, err := jobs.Sweep(ctx, db, client, jobs.SweepOptions{
		Kind:   "run",
		Report: report.WriteOptions{Dir: filepath.Join(*dir, "reports")},
		Phase:  rec.begin,
		Now:    m.Now,
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(started)
	if *memProfile != "" {
		if err := writeProfile(*memProfile, "allocs"); err != nil {
			return err
		}
	}
	st := client.Stats()
	return json.NewEncoder(m.Stdout).Encode(benchJobResult{
		RunID:     out.Run.ID,
		Customers: out.Run.Customers,
		Seconds:   elapsed.Seconds(),
		Requests:  st.Requests,
		Throttled: st.Throttled,
		Phases:    rec.result(),
	})
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
	stop     chan struct{}
	done     chan struct{}
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
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(s)
		if v := int64(s[0].Value.Uint64()); v > r.heapPeak.Load() {
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
	if top {
		debug.FreeOSMemory()
		resetPeakRSS()
		r.heapPeak.Store(0)
	}
	start := time.Now()
	return func() {
		d := time.Since(start)
		var rss, heap int64
		if top {
			rss, heap = peakRSS(), r.heapPeak.Load()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.depth--
		p.Seconds += d.Seconds()
		p.Count++
		p.PeakRSS = max(p.PeakRSS, rss)
		p.PeakHeap = max(p.PeakHeap, heap)
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
