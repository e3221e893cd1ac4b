package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// The rate-change experiment shows that a sweep follows a throttle
// change within seconds: one fetch.Client sweeps the in-process Partner
// Center while its throttle is R for one phase, R/2 for the next and R again
// for the last, and each second's served answers, 429s and client limit are
// recorded, written as a CSV and plotted.

// Defaults for zero rateBenchOptions fields: the committed run's settings
// (with a latency of 20 ms).
const (
	defaultRateBenchRate        = 400
	defaultRateBenchConcurrency = 64
	defaultRateBenchPhase       = 20 * time.Second
)

// A phase has converged once convergeRun consecutive seconds each serve
// within convergeBand of its throttle: one good second can be a burst
// passing through, three are the sweep having settled.
const (
	convergeBand = 0.10
	convergeRun  = 3
)

// rateBenchOptions configure runRateBench. Zero values give the defaults in
// brackets.
type rateBenchOptions struct {
	Rate        float64          // server throttle of the first and last phase, requests/s [400]
	Burst       float64          // the throttle's token bucket size [pctest's: max(1, Rate/10)]
	Latency     time.Duration    // server latency of every request [none]
	Concurrency int              // the client's workers [64]
	Phase       time.Duration    // length of each phase, whole seconds [20s]
	Out         string           // directory for rate-convergence.csv and .svg [.]
	Now         func() time.Time // the experiment's clock [time.Now]
}

func (o rateBenchOptions) withDefaults() rateBenchOptions {
	if o.Rate == 0 {
		o.Rate = defaultRateBenchRate
	}
	if o.Concurrency == 0 {
		o.Concurrency = defaultRateBenchConcurrency
	}
	if o.Phase == 0 {
		o.Phase = defaultRateBenchPhase
	}
	if o.Out == "" {
		o.Out = "."
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func (o rateBenchOptions) validate() error {
	switch {
	case !(o.Rate > 0) || math.IsInf(o.Rate, 1):
		return fmt.Errorf("rate bench options: rate %v must be a positive number", o.Rate)
	case o.Latency < 0 || o.Concurrency < 0 || o.Burst < 0:
		return errors.New("rate bench options: latency, concurrency and burst must not be negative")
	case o.Phase < time.Second || o.Phase%time.Second != 0:
		return fmt.Errorf("rate bench options: phase %v must be a whole number of seconds", o.Phase)
	}
	return nil
}

// rateSecond is one second of the experiment, counted from its start.
type rateSecond struct {
	Second    int
	Throttle  float64 // server throttle in force, requests/s
	Served    int64   // answers other than 429 given in the second
	Throttled int64   // 429s given in the second
	Limit     float64 // the client's limit at the end of the second; 0 = unlimited
}

// ratePhase sums up one phase of constant throttle.
type ratePhase struct {
	Throttle          float64
	Start, Seconds    int   // first second and length
	Converge          int   // seconds from the phase's start until served settled; -1 if it never did
	Served, Throttled int64 // answers in the phase
	Share429          float64
	// Ratio is the mean of served/throttle over the seconds after
	// convergence (NaN when it never converged); RatioAll over the whole
	// phase.
	Ratio, RatioAll float64
}

// rateBenchResult is what runRateBench measured and wrote.
type rateBenchResult struct {
	Seconds  []rateSecond
	Phases   []ratePhase
	Share429 float64 // 429s over all answers
	Failed   int     // customers whose Result had an error
	CSV, SVG string  // paths written
}

// runRateBench runs the rate-change experiment, writes
// <Out>/rate-convergence.csv and .svg and prints a summary to w. It takes
// three phases of real time.
func runRateBench(ctx context.Context, w io.Writer, o rateBenchOptions) (rateBenchResult, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return rateBenchResult{}, err
	}
	phaseSec := int(o.Phase / time.Second)
	throttles := []float64{o.Rate, o.Rate / 2, o.Rate}
	total := len(throttles) * phaseSec

	// Every served answer uses up at most one customer, so the throttles'
	// sum with a margin for bursts outlasts the experiment; the portfolio
	// is left as generated.
	need := 0.0
	for _, r := range throttles {
		need += r * float64(phaseSec)
	}
	srv := pctest.New(pctest.Options{Customers: int(1.25*need) + 4*o.Concurrency})
	defer srv.Close()
	var customers []fetch.Customer
	for _, cu := range srv.Customers() {
		customers = append(customers, fetch.Customer{ID: cu.ID, CompanyName: cu.CompanyName})
	}
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(pctest.DefaultToken), Concurrency: o.Concurrency})
	if err != nil {
		return rateBenchResult{}, err
	}

	srv.SetFaults(pctest.Faults{Latency: o.Latency, Throttle: throttles[0], ThrottleBurst: o.Burst})
	srv.ResetStats()
	start := o.Now()
	sweepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := 0
	swept := make(chan error, 1)
	go func() {
		swept <- client.Sweep(sweepCtx, customers, func(r fetch.Result) error {
			if r.Err != nil {
				failed++
			}
			return nil
		})
	}()

	// Sample at each whole second after the start; change the throttle at
	// the phase boundaries, right after sampling the second before.
	secs := make([]rateSecond, 0, total)
	var st pctest.Stats
	for k := 1; k <= total; k++ {
		timer := time.NewTimer(start.Add(time.Duration(k) * time.Second).Sub(o.Now()))
		select {
		case <-timer.C:
		case err := <-swept:
			timer.Stop()
			if err == nil {
				err = errors.New("the portfolio ran out")
			}
			return rateBenchResult{}, fmt.Errorf("rate bench: sweep ended after %d s: %w", k-1, err)
		case <-ctx.Done():
			timer.Stop()
			cancel()
			<-swept
			return rateBenchResult{}, fmt.Errorf("rate bench: %w", ctx.Err())
		}
		prev := st.Throttled
		st = srv.Stats()
		secs = append(secs, rateSecond{Second: k - 1, Throttle: throttles[(k-1)/phaseSec],
			Throttled: st.Throttled - prev, Limit: client.Stats().Rate})
		if k%phaseSec == 0 && k < total {
			srv.SetFaults(pctest.Faults{Latency: o.Latency, Throttle: throttles[k/phaseSec], ThrottleBurst: o.Burst})
		}
	}
	cancel()
	if err := <-swept; !errors.Is(err, context.Canceled) {
		return rateBenchResult{}, fmt.Errorf("rate bench: sweep: %w", err)
	}
	// The server counts served answers per second of its own clock, started
	// by ResetStats just before ours.
	for i := range secs {
		if i < len(st.PerSecond) {
			secs[i].Served = st.PerSecond[i]
		}
	}

	res := rateBenchResult{Seconds: secs, Phases: summarisePhases(secs, phaseSec), Failed: failed}
	var served, throttled int64
	for _, p := range res.Phases {
		served, throttled = served+p.Served, throttled+p.Throttled
	}
	res.Share429 = share(throttled, served)

	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return res, fmt.Errorf("rate bench: %w", err)
	}
	res.CSV = filepath.Join(o.Out, "rate-convergence.csv")
	res.SVG = filepath.Join(o.Out, "rate-convergence.svg")
	if err := writeFileAtomic(res.CSV, func(w io.Writer) error { return writeRateCSV(w, secs) }); err != nil {
		return res, err
	}
	chart := rateChart(secs, fmt.Sprintf("Adaptive rate after throttle changes: %g → %g → %g requests/s (latency %v, concurrency %d)",
		throttles[0], throttles[1], throttles[2], o.Latency, o.Concurrency))
	if err := writeFileAtomic(res.SVG, chart.writeSVG); err != nil {
		return res, err
	}
	printRateSummary(w, res, o)
	return res, nil
}

// convergence returns the first second of served from which convergeRun
// consecutive seconds each lie within convergeBand of target: the seconds
// the sweep took to follow a change made just before served[0]. ok is false
// when served never settles.
func convergence(served []float64, target float64) (sec int, ok bool) {
	run := 0
	for i, v := range served {
		if math.Abs(v-target) <= convergeBand*target {
			run++
		} else {
			run = 0
		}
		if run == convergeRun {
			return i - convergeRun + 1, true
		}
	}
	return -1, false
}

// summarisePhases splits secs into phases of phaseSec seconds and sums up
// each.
func summarisePhases(secs []rateSecond, phaseSec int) []ratePhase {
	var out []ratePhase
	for start := 0; start < len(secs); start += phaseSec {
		ph := secs[start:min(start+phaseSec, len(secs))]
		p := ratePhase{Throttle: ph[0].Throttle, Start: start, Seconds: len(ph), Ratio: math.NaN()}
		served := make([]float64, len(ph))
		for i, s := range ph {
			served[i] = float64(s.Served)
			p.Served += s.Served
			p.Throttled += s.Throttled
		}
		p.Share429 = share(p.Throttled, p.Served)
		p.RatioAll = meanRatio(served, p.Throttle)
		var ok bool
		if p.Converge, ok = convergence(served, p.Throttle); ok {
			p.Ratio = meanRatio(served[p.Converge:], p.Throttle)
		}
		out = append(out, p)
	}
	return out
}

// meanRatio is the mean of served/target, NaN for no seconds.
func meanRatio(served []float64, target float64) float64 {
	sum := 0.0
	for _, v := range served {
		sum += v / target
	}
	return sum / float64(len(served))
}

// share is 429s over all answers, 0 when there were none.
func share(throttled, served int64) float64 {
	if throttled+served == 0 {
		return 0
	}
	return float64(throttled) / float64(throttled+served)
}

// writeRateCSV writes one row per second.
func writeRateCSV(w io.Writer, secs []rateSecond) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"second", "throttle", "served", "throttled", "client_limit"})
	for _, s := range secs {
		cw.Write([]string{strconv.Itoa(s.Second), strconv.FormatFloat(s.Throttle, 'f', -1, 64),
			strconv.FormatInt(s.Served, 10), strconv.FormatInt(s.Throttled, 10), strconv.FormatFloat(s.Limit, 'f', 1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// rateChart plots secs: counts at the middle of their second, the throttle
// as a step over its seconds, the client limit at the end of the second it
// was sampled in (not drawn while unlimited).
func rateChart(secs []rateSecond, title string) lineChart {
	n := len(secs)
	throttle := chartSeries{Name: "throttle", Color: "#555555", Step: true, Dash: true, X: make([]float64, n+1), Y: make([]float64, n+1)}
	served := chartSeries{Name: "served/s", Color: "#1f77b4", X: make([]float64, n), Y: make([]float64, n)}
	throttled := chartSeries{Name: "429/s", Color: "#d62728", X: make([]float64, n), Y: make([]float64, n)}
	limit := chartSeries{Name: "client limit", Color: "#2ca02c", X: make([]float64, n), Y: make([]float64, n)}
	for i, s := range secs {
		x := float64(s.Second)
		throttle.X[i], throttle.Y[i] = x, s.Throttle
		served.X[i], served.Y[i] = x+0.5, float64(s.Served)
		throttled.X[i], throttled.Y[i] = x+0.5, float64(s.Throttled)
		limit.X[i], limit.Y[i] = x+1, s.Limit
		if s.Limit == 0 {
			limit.Y[i] = math.NaN()
		}
	}
	if n > 0 {
		throttle.X[n], throttle.Y[n] = float64(secs[n-1].Second+1), secs[n-1].Throttle
	}
	return lineChart{Title: title, XLabel: "seconds", YLabel: "requests/s",
		Series: []chartSeries{throttle, served, throttled, limit}}
}

// printRateSummary writes a few lines on how the sweep followed each change.
func printRateSummary(w io.Writer, res rateBenchResult, o rateBenchOptions) {
	burst := "max(1, R/10)"
	if o.Burst > 0 {
		burst = strconv.FormatFloat(o.Burst, 'f', -1, 64)
	}
	fmt.Fprintf(w, "rate change: %d-s phases, latency %v, concurrency %d, bucket burst %s\n", int(o.Phase/time.Second), o.Latency, o.Concurrency, burst)
	names := []string{"start", "halved", "doubled"}
	for i, p := range res.Phases {
		conv := "never converged"
		if p.Converge >= 0 {
			conv = fmt.Sprintf("converged after %d s, then served/throttle %.3f", p.Converge, p.Ratio)
		}
		fmt.Fprintf(w, "  %-7s at %3d s to %g/s: %s (whole phase %.3f); 429s %.2f%%\n",
			names[min(i, len(names)-1)], p.Start, p.Throttle, conv, p.RatioAll, 100*p.Share429)
	}
	fmt.Fprintf(w, "  overall 429s %.2f%%; %d customers failed\n", 100*res.Share429, res.Failed)
	fmt.Fprintf(w, "wrote %s and %s\n", res.CSV, res.SVG)
}

// writeFileAtomic writes path through a temporary file in the same
// directory renamed into place, so a reader never sees half a file.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	// CreateTemp makes the file 0600; these are documents for everyone.
	err = f.Chmod(0o644)
	if err == nil {
		err = write(f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
