package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// The rate matrix measures the adaptive rate at the pace users meet Partner
// Center: for each throttle R, latency L and throttle shape, one fresh
// fetch.Client (no remembered rate) sweeps a fresh pctest portfolio, and the
// sweep's time is compared with the answered requests ÷ min(R, C/L), the
// fastest those requests could have been answered. Cells run several at a
// time, each with its own server: at these rates the sweeps wait on the
// throttle, not on the CPU.

// The shapes of throttle a matrix cell can have.
const (
	shapeBurst1 = "bucket, burst 1"
	shapeBurstR = "bucket, burst R"
	shapeWindow = "sliding window"
)

// Defaults for zero matrixOptions fields.
var (
	defaultMatrixRates     = []float64{5, 8.33, 20, 100}
	defaultMatrixLatencies = []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond}
	defaultMatrixShapes    = []string{shapeBurst1, shapeBurstR, shapeWindow}
)

const (
	defaultMatrixConcurrency = 16
	defaultMatrixParallel    = 6
	defaultMatrixCellTime    = time.Minute
	defaultMatrixMinCustomer = 300
	defaultMatrixWindow      = time.Minute
	// directSignShare is about how many more requests than customers a
	// sweep of a generated portfolio sends (DESIGN.md: customers without a
	// current acceptance are asked the direct-sign status too).
	directSignShare = 1.16
)

// matrixOptions configure runRateMatrix. Zero values give the defaults in
// brackets.
type matrixOptions struct {
	Rates        []float64       // throttles R, requests/s [5, 8.33, 20, 100]
	Latencies    []time.Duration // server latencies L [100ms, 250ms, 500ms]
	Shapes       []string        // throttle shapes [all three]
	Concurrency  int             // the client's workers C [16]
	Parallel     int             // cells run at once [6]
	CellTime     time.Duration   // each cell is sized to about this ideal sweep time, a window's cells to twice it [1m]
	MinCustomers int             // but never fewer customers than this [300]
	Window       time.Duration   // the sliding window's length [1m]
	Out          string          // directory for rate-matrix.csv [.]
}

func (o matrixOptions) withDefaults() matrixOptions {
	if len(o.Rates) == 0 {
		o.Rates = defaultMatrixRates
	}
	if len(o.Latencies) == 0 {
		o.Latencies = defaultMatrixLatencies
	}
	if len(o.Shapes) == 0 {
		o.Shapes = defaultMatrixShapes
	}
	if o.Concurrency == 0 {
		o.Concurrency = defaultMatrixConcurrency
	}
	if o.Parallel == 0 {
		o.Parallel = defaultMatrixParallel
	}
	if o.CellTime == 0 {
		o.CellTime = defaultMatrixCellTime
	}
	if o.MinCustomers == 0 {
		o.MinCustomers = defaultMatrixMinCustomer
	}
	if o.Window == 0 {
		o.Window = defaultMatrixWindow
	}
	if o.Out == "" {
		o.Out = "."
	}
	return o
}

// matrixCell is one throttle setting of the matrix.
type matrixCell struct {
	Rate    float64
	Latency time.Duration
	Shape   string
}

// faults returns the pctest faults of c.
func (c matrixCell) faults(window time.Duration) pctest.Faults {
	f := pctest.Faults{Latency: c.Latency, Throttle: c.Rate}
	switch c.Shape {
	case shapeBurst1:
		f.ThrottleBurst = 1
	case shapeBurstR:
		f.ThrottleBurst = c.Rate
	case shapeWindow:
		f.ThrottleWindow = window
	}
	return f
}

// idealRate is min(R, C/L): the fastest a sweep can be answered.
func (c matrixCell) idealRate(concurrency int) float64 {
	if c.Latency <= 0 {
		return c.Rate
	}
	return math.Min(c.Rate, float64(concurrency)/c.Latency.Seconds())
}

// matrixResult is what one cell measured.
type matrixResult struct {
	matrixCell
	Customers int
	Seconds   float64 // the sweep's wall time
	Served    int64   // answered requests (not 429)
	Throttled int64   // 429 answers
	Failed    int     // customers whose result was an error
	// GaveUp counts the failed customers whose last answer was a 429: they
	// ran out of attempts while throttled.
	GaveUp   int
	Settled  float64 // the client's limit at the end, requests/s; 0 = unlimited
	Ratio    float64 // Seconds ÷ (Served ÷ min(R, C/L))
	Share429 float64 // Throttled ÷ all requests
}

// matrixCells lists o's cells, slowest first so that the parallel runs end
// together.
func matrixCells(o matrixOptions) []matrixCell {
	var cells []matrixCell
	for _, r := range o.Rates {
		for _, l := range o.Latencies {
			for _, s := range o.Shapes {
				cells = append(cells, matrixCell{Rate: r, Latency: l, Shape: s})
			}
		}
	}
	return cells
}

// cellCustomers sizes a cell to about o.CellTime of ideal sweep; a sliding
// window's cell to twice that, so that the sweep outlasts one window (a
// window admits its whole allowance at once).
func cellCustomers(c matrixCell, o matrixOptions) int {
	n := int(o.CellTime.Seconds() * c.idealRate(o.Concurrency) / directSignShare)
	if c.Shape == shapeWindow {
		n *= 2
	}
	return max(n, o.MinCustomers)
}

// runRateMatrix runs every cell of o, prints one table to w and writes
// <Out>/rate-matrix.csv.
func runRateMatrix(ctx context.Context, w io.Writer, o matrixOptions) ([]matrixResult, error) {
	o = o.withDefaults()
	for _, s := range o.Shapes {
		if !slices.Contains(defaultMatrixShapes, s) {
			return nil, fmt.Errorf("rate matrix: unknown throttle shape %q", s)
		}
	}
	cells := matrixCells(o)
	results := make([]matrixResult, len(cells))
	errs := make([]error, len(cells))
	next := make(chan int)
	var wg sync.WaitGroup
	var printMu sync.Mutex
	for range min(o.Parallel, len(cells)) {
		wg.Go(func() {
			for i := range next {
				results[i], errs[i] = runMatrixCell(ctx, cells[i], o)
				printMu.Lock()
				r := results[i]
				fmt.Fprintf(w, "  R=%g/s L=%v %s: %d customers, %.1f s, ratio %.3f, 429s %.2f%%, %d gave up on 429s, settled %.2f/s\n",
					r.Rate, r.Latency, r.Shape, r.Customers, r.Seconds, r.Ratio, 100*r.Share429, r.GaveUp, r.Settled)
				printMu.Unlock()
			}
		})
	}
	// Longest cells first: the low rates.
	order := make([]int, len(cells))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		da := float64(cellCustomers(cells[a], o)) / cells[a].idealRate(o.Concurrency)
		db := float64(cellCustomers(cells[b], o)) / cells[b].idealRate(o.Concurrency)
		return -cmpFloat(da, db)
	})
feed:
	for _, i := range order {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return results, err
	}
	if err := ctx.Err(); err != nil {
		return results, err
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return results, fmt.Errorf("rate matrix: %w", err)
	}
	path := filepath.Join(o.Out, "rate-matrix.csv")
	if err := writeFileAtomic(path, func(w io.Writer) error { return writeMatrixCSV(w, results) }); err != nil {
		return results, err
	}
	writeMatrixTable(w, results, o)
	fmt.Fprintf(w, "wrote %s\n", path)
	return results, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// runMatrixCell sweeps a fresh portfolio through a fresh client under c.
func runMatrixCell(ctx context.Context, c matrixCell, o matrixOptions) (matrixResult, error) {
	res := matrixResult{matrixCell: c, Customers: cellCustomers(c, o)}
	srv := pctest.New(pctest.Options{Customers: res.Customers, Seed: 1})
	defer srv.Close()
	var customers []fetch.Customer
	for _, cu := range srv.Customers() {
		customers = append(customers, fetch.Customer{ID: cu.ID, CompanyName: cu.CompanyName})
	}
	client, err := fetch.New(fetch.Options{BaseURL: srv.URL(), Token: fetch.StaticToken(pctest.DefaultToken), Concurrency: o.Concurrency})
	if err != nil {
		return res, err
	}
	srv.SetFaults(c.faults(o.Window))
	srv.ResetStats()
	start := time.Now()
	err = client.Sweep(ctx, customers, func(r fetch.Result) error {
		if r.Err != nil {
			res.Failed++
			if status, _, _ := fetch.ErrorFields(r.Err); status == http.StatusTooManyRequests {
				res.GaveUp++
			}
		}
		return nil
	})
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		return res, fmt.Errorf("rate matrix: R=%g L=%v %s: %w", c.Rate, c.Latency, c.Shape, err)
	}
	st := srv.Stats()
	requests := st.Agreements + st.DirectSign
	res.Throttled = st.Throttled
	res.Served = requests - st.Throttled
	res.Settled = client.Stats().Rate
	res.Ratio = res.Seconds / (float64(res.Served) / c.idealRate(o.Concurrency))
	res.Share429 = share(res.Throttled, res.Served)
	return res, nil
}

// writeMatrixCSV writes one row per cell.
func writeMatrixCSV(w io.Writer, results []matrixResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"throttle", "latency_ms", "shape", "customers", "seconds", "served", "throttled", "failed", "gave_up", "settled_rate", "ratio", "share_429"})
	for _, r := range results {
		cw.Write([]string{strconv.FormatFloat(r.Rate, 'f', -1, 64), strconv.FormatInt(r.Latency.Milliseconds(), 10), r.Shape,
			strconv.Itoa(r.Customers), strconv.FormatFloat(r.Seconds, 'f', 3, 64), strconv.FormatInt(r.Served, 10),
			strconv.FormatInt(r.Throttled, 10), strconv.Itoa(r.Failed), strconv.Itoa(r.GaveUp), strconv.FormatFloat(r.Settled, 'f', 2, 64),
			strconv.FormatFloat(r.Ratio, 'f', 3, 64), strconv.FormatFloat(r.Share429, 'f', 4, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// writeMatrixTable prints one row per R and L, with each shape's ratio and
// 429 share side by side.
func writeMatrixTable(w io.Writer, results []matrixResult, o matrixOptions) {
	fmt.Fprintf(w, "\nrate matrix: C = %d; ratio = sweep time ÷ (answered requests ÷ min(R, C/L)); goal ≤ 1.10 and < 2%% 429s\n", o.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "R\tL\tmin(R, C/L)\t")
	for _, s := range o.Shapes {
		fmt.Fprintf(tw, "%s: ratio\t429s\t", s)
	}
	fmt.Fprintln(tw)
	byCell := map[matrixCell]matrixResult{}
	for _, r := range results {
		byCell[r.matrixCell] = r
	}
	for _, rate := range o.Rates {
		for _, l := range o.Latencies {
			c := matrixCell{Rate: rate, Latency: l}
			fmt.Fprintf(tw, "%g/s\t%v\t%.4g/s\t", rate, l, c.idealRate(o.Concurrency))
			for _, s := range o.Shapes {
				c.Shape = s
				r := byCell[c]
				fmt.Fprintf(tw, "%.3f\t%.2f%%\t", r.Ratio, 100*r.Share429)
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
}
