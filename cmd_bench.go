package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

const benchUsage = `Usage:
  mcawatch bench [--customers 10000,100000] [--throttle R] [--latency D] [--concurrency C] [--out DIR] [--profile]
  mcawatch bench --rate-change [--throttle R] [--burst B] [--latency D] [--concurrency C] [--phase D] [--out DIR]
  mcawatch bench --matrix [--concurrency C] [--parallel P] [--cell-time D] [--out DIR]

The first form runs the whole job — list, sweep, store, diff, xlsx, csv —
twice for each N against the built-in Partner Center (latency D, a throttle
of R requests a second), with a 1% change of the portfolio between the two,
and prints each step's time, its ideal or budget, their ratio, the share of
429 answers and peak memory. Each job runs in a child process ("mcawatch
bench job"), so its peak RSS is its own.

The second form sweeps while the throttle goes R → R/2 → R, and writes the
request rate a second to DIR/rate-convergence.csv and .svg.

The third form sweeps a fresh portfolio with a fresh client (C = 16 unless
--concurrency says otherwise) under each throttle R of 5, 8.33, 20 and 100
requests a second, latency L of 100, 250 and 500 ms, and three throttle
shapes (a token bucket with a burst of 1 and of R, a sliding window of R×60
requests a minute), P cells at a time, and prints each cell's sweep time ÷
(answered requests ÷ min(R, C/L)) and share of 429 answers; it writes them to
DIR/rate-matrix.csv.

Flags:
`

// benchBudget is what DESIGN.md allows a step at 100,000 customers; the
// budget for N customers is scaled linearly.
var benchBudget = map[string]time.Duration{
	"store": 2 * time.Second,
	"load":  time.Second,
	"diff":  time.Second,
	"xlsx":  10 * time.Second,
	"csv":   time.Second,
}

// runBench is "mcawatch bench".
func (m *Main) runBench(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "job" {
		return m.runBenchJob(ctx, args[1:])
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	customers := fs.String("customers", "10000,100000", "comma-separated portfolio `sizes` N")
	throttle := fs.Float64("throttle", 1000, "server throttle `R` in requests a second (0: none)")
	latency := fs.Duration("latency", 20*time.Millisecond, "server latency per request")
	concurrency := fs.Int("concurrency", 64, "requests in flight (fetch.concurrency)")
	out := fs.String("out", "mcawatch-bench", "`dir`ectory for databases, reports and profiles")
	profile := fs.Bool("profile", false, "write CPU, allocation and end-of-sweep heap profiles of each job to DIR/N/")
	rateChange := fs.Bool("rate-change", false, "run the throttle-change experiment instead")
	phaseLen := fs.Duration("phase", 20*time.Second, "with --rate-change: how long each throttle lasts")
	burst := fs.Float64("burst", 0, "with --rate-change: the throttle's token bucket size `B` (0: max(1, R/10))")
	matrix := fs.Bool("matrix", false, "run the rate matrix instead")
	parallel := fs.Int("parallel", defaultMatrixParallel, "with --matrix: cells run at once")
	cellTime := fs.Duration("cell-time", defaultMatrixCellTime, "with --matrix: the ideal sweep time each cell is sized to")
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *throttle < 0 || *latency < 0 || *concurrency < 1 {
		return errors.New("bench: --throttle and --latency must not be negative, --concurrency must be positive")
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if *matrix {
		c := defaultMatrixConcurrency
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "concurrency" {
				c = *concurrency
			}
		})
		if *parallel < 1 || *cellTime <= 0 {
			return errors.New("bench: --parallel and --cell-time must be positive")
		}
		_, err := runRateMatrix(ctx, m.Stdout, matrixOptions{Concurrency: c, Parallel: *parallel, CellTime: *cellTime, Out: *out})
		return err
	}
	if *rateChange {
		if *throttle == 0 {
			return errors.New("bench: --rate-change needs a --throttle")
		}
		_, err := runRateBench(ctx, m.Stdout, rateBenchOptions{
			Rate: *throttle, Burst: *burst, Latency: *latency, Concurrency: *concurrency, Phase: *phaseLen, Out: *out, Now: m.Now,
		})
		return err
	}
	sizes, err := parseSizes(*customers)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	cfg := benchConfig{exe: exe, throttle: *throttle, latency: *latency, concurrency: *concurrency, profile: *profile}
	fmt.Fprintf(m.Stdout, "mcawatch bench: latency %s, throttle %s, concurrency %d, GOMAXPROCS %d\n",
		*latency, throttleText(*throttle), *concurrency, runtime.GOMAXPROCS(0))
	var sweeps []benchSweepRow
	for _, n := range sizes {
		rows, err := m.benchSize(ctx, cfg, n, filepath.Join(*out, strconv.Itoa(n)))
		if err != nil {
			return err
		}
		sweeps = append(sweeps, rows...)
	}
	if len(sweeps) > 1 {
		fmt.Fprintln(m.Stdout, "\nsweep memory side by side (the nightly run of each N):")
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "N\tsweep peak RSS\tsweep peak heap\tlive heap before\tlive heap after\tafter per customer\tjob peak RSS\t")
		for _, s := range sweeps {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d B\t%s\t\n", s.n, mib(s.fetch.PeakRSS), mib(s.fetch.PeakHeap),
				mib(s.fetch.HeapBefore), mib(s.fetch.HeapAfter), s.fetch.HeapAfter/int64(max(1, s.n)), mib(s.jobRSS))
		}
		tw.Flush()
		fmt.Fprintln(m.Stdout, "(the live heap after the sweep is the customer list, fetched and as storage's list cache;",
			"--profile writes it to DIR/N/sweep-heap-runK.pprof)")
	}
	return nil
}

type benchConfig struct {
	exe         string
	throttle    float64
	latency     time.Duration
	concurrency int
	profile     bool
}

type benchSweepRow struct {
	n      int
	fetch  benchPhase
	jobRSS int64
}

// benchSize runs the job twice against one portfolio of n customers: the
// first run fills an empty database, the second is the nightly case (a
// database holding a sweep, 1% of the portfolio changed, a real diff).
func (m *Main) benchSize(ctx context.Context, cfg benchConfig, n int, dir string) ([]benchSweepRow, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	const token = "mcawatch-bench-token"
	genStart := time.Now()
	srv := pctest.New(pctest.Options{Customers: n, Seed: 1, Token: token})
	defer srv.Close()
	srv.SetFaults(pctest.Faults{Latency: cfg.latency, Throttle: cfg.throttle})
	fmt.Fprintf(m.Stdout, "\nN = %d (portfolio generated in %s)\n", n, time.Since(genStart).Round(time.Millisecond))

	var rows []benchSweepRow
	for run := 1; run <= 2; run++ {
		label := "first run, empty database"
		if run == 2 {
			ch := srv.Evolve(2, max(1, n/100))
			label = fmt.Sprintf("nightly run: %d accepted, %d re-dated, %d removed, %d joined, %d left since run 1",
				len(ch.Accepted), len(ch.Redated), len(ch.Removed), len(ch.Joined), len(ch.Left))
		}
		srv.ResetStats()
		args := []string{"bench", "job", "--url", srv.URL(), "--dir", dir, "--concurrency", strconv.Itoa(cfg.concurrency)}
		if cfg.profile {
			args = append(args,
				"--cpuprofile", filepath.Join(dir, fmt.Sprintf("cpu-run%d.pprof", run)),
				"--memprofile", filepath.Join(dir, fmt.Sprintf("allocs-run%d.pprof", run)),
				"--heapprofile", filepath.Join(dir, fmt.Sprintf("sweep-heap-run%d.pprof", run)))
		}
		cmd := exec.CommandContext(ctx, cfg.exe, args...)
		cmd.Env = append(os.Environ(), "MCAWATCH_ACCESS_TOKEN="+token)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, m.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("bench: N=%d run %d: %w", n, run, err)
		}
		var res benchJobResult
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			return nil, fmt.Errorf("bench: N=%d run %d: read the job's result: %w", n, run, err)
		}
		st := srv.Stats()
		fmt.Fprintf(m.Stdout, "\nrun %d (%s)\n", run, label)
		jobRSS := writeBenchTable(m.Stdout, cfg, n, res, st)
		if run == 2 {
			for _, p := range res.Phases {
				if p.Name == "fetch" {
					rows = append(rows, benchSweepRow{n: n, fetch: p, jobRSS: jobRSS})
				}
			}
		}
	}
	return rows, nil
}

// writeBenchTable prints one job's steps and returns its peak RSS.
func writeBenchTable(w io.Writer, cfg benchConfig, n int, res benchJobResult, st pctest.Stats) int64 {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "step\tN\ttime\tideal or budget\tratio\t429 share\tpeak RSS\tpeak heap\theap before\t")
	scale := float64(n) / 100_000
	byName := map[string]benchPhase{}
	var jobRSS int64
	for _, p := range res.Phases {
		byName[p.Name] = p
		jobRSS = max(jobRSS, p.PeakRSS)
	}
	row := func(name string, secs, ideal float64, share string, mem [3]string) {
		ratio := "–"
		idealText := "–"
		if ideal > 0 {
			ratio = fmt.Sprintf("%.3f", secs/ideal)
			idealText = fmt.Sprintf("%.3f s", ideal)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.3f s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name, n, secs, idealText, ratio, share, mem[0], mem[1], mem[2])
	}
	// A step's peak heap includes what earlier steps left live (heap
	// before): the customer list, the snapshots, the diff.
	mem := func(p benchPhase) [3]string {
		if p.Nested {
			return [3]string{}
		}
		return [3]string{mib(p.PeakRSS), mib(p.PeakHeap), mib(p.HeapBefore)}
	}
	if p, ok := byName["list"]; ok {
		// Pages come one after another: each continuation token is in the
		// previous page.
		row(fmt.Sprintf("list customers (%d pages)", st.CustomerPages), p.Seconds, float64(st.CustomerPages)*cfg.latency.Seconds(), "", mem(p))
	}
	// The sweep needs one agreements request a customer, and a direct-sign
	// request for each customer without the required acceptance: served
	// answers are the requests the job needed; the rest were 429s.
	served := st.Agreements + st.DirectSign - st.Throttled
	if p, ok := byName["fetch"]; ok {
		share := fmt.Sprintf("%.2f%%", 100*float64(st.Throttled)/float64(max(1, st.Requests)))
		row("sweep (fetch+store)", p.Seconds, sweepIdeal(float64(n), cfg), share, mem(p))
		row(fmt.Sprintf("  per request (%d)", served), p.Seconds, sweepIdeal(float64(served), cfg), "", [3]string{})
	}
	var store float64
	for _, name := range []string{"begin", "save", "finish"} {
		store += byName[name].Seconds
	}
	row("store (begin+save+finish)", store, benchBudget["store"].Seconds()*scale, "", [3]string{})
	row("  begin", byName["begin"].Seconds, 0, "", [3]string{})
	row(fmt.Sprintf("  save (%d batches)", byName["save"].Count), byName["save"].Seconds, 0, "", [3]string{})
	for _, name := range []string{"finish", "load", "diff", "xlsx", "csv"} {
		if p, ok := byName[name]; ok {
			row(name, p.Seconds, benchBudget[name].Seconds()*scale, "", mem(p))
		}
	}
	fmt.Fprintf(tw, "whole job\t%d\t%.3f s\t\t\t\t%s\t\t\t\n", n, res.Seconds, mib(jobRSS))
	tw.Flush()
	return jobRSS
}

// sweepIdeal is the shortest time k requests can take: k/R under a
// throttle, k·L/C for C requests in flight, whichever is longer.
func sweepIdeal(k float64, cfg benchConfig) float64 {
	ideal := k * cfg.latency.Seconds() / float64(cfg.concurrency)
	if cfg.throttle > 0 {
		ideal = max(ideal, k/cfg.throttle)
	}
	return ideal
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 1_000_000 {
			return nil, fmt.Errorf("bench: --customers %q: want sizes from 1 to 1000000, comma-separated", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func throttleText(r float64) string {
	if r == 0 {
		return "none"
	}
	return fmt.Sprintf("%g/s", r)
}

func mib(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}
