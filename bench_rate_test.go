package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRateBench_Convergence(t *testing.T) {
	tests := []struct {
		name   string
		served []float64
		target float64
		want   int
		wantOK bool
	}{
		{"at once", []float64{200, 198, 205, 201}, 200, 0, true},
		{"after an overshoot", []float64{400, 300, 230, 210, 190, 199}, 200, 3, true},
		{"band edges count", []float64{90, 110, 90}, 100, 0, true},
		{"a dip restarts the run", []float64{100, 100, 80, 100, 100, 100}, 100, 3, true},
		{"two good seconds at the end", []float64{50, 60, 100, 100}, 100, -1, false},
		{"oscillates", []float64{80, 120, 80, 120, 80, 120, 80, 120}, 100, -1, false},
		{"never reaches it", []float64{150, 150, 150, 150, 150}, 200, -1, false},
		{"empty", nil, 100, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := convergence(tt.served, tt.target)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("convergence(%v, %v)=%d, %v, want %d, %v", tt.served, tt.target, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestRateBench_SummarisePhases(t *testing.T) {
	// Three phases of four seconds: 100/s, 50/s, 100/s.
	served := []int64{100, 100, 100, 90, 80, 55, 50, 50, 55, 70, 40, 70}
	throttled := []int64{10, 0, 0, 0, 20, 5, 0, 0, 0, 0, 0, 0}
	var secs []rateSecond
	for i := range served {
		secs = append(secs, rateSecond{Second: i, Throttle: []float64{100, 50, 100}[i/4], Served: served[i], Throttled: throttled[i]})
	}
	got := summarisePhases(secs, 4)
	if len(got) != 3 {
		t.Fatalf("summarisePhases()=%d phases, want 3", len(got))
	}
	want := []ratePhase{
		{Throttle: 100, Start: 0, Seconds: 4, Converge: 0, Served: 390, Throttled: 10, Share429: 10.0 / 400, Ratio: 0.975, RatioAll: 0.975},
		{Throttle: 50, Start: 4, Seconds: 4, Converge: 1, Served: 235, Throttled: 25, Share429: 25.0 / 260, Ratio: (1.1 + 1 + 1) / 3, RatioAll: (1.6 + 1.1 + 1 + 1) / 4},
		{Throttle: 100, Start: 8, Seconds: 4, Converge: -1, Served: 235, Throttled: 0, Share429: 0, Ratio: math.NaN(), RatioAll: 2.35 / 4},
	}
	near := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-9 }
	for i, p := range got {
		w := want[i]
		if p.Throttle != w.Throttle || p.Start != w.Start || p.Seconds != w.Seconds || p.Converge != w.Converge ||
			p.Served != w.Served || p.Throttled != w.Throttled ||
			!near(p.Share429, w.Share429) || !near(p.Ratio, w.Ratio) || !near(p.RatioAll, w.RatioAll) {
			t.Errorf("phase %d=%+v, want %+v", i, p, w)
		}
	}
}

func TestRunRateBench(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for 9 s of real time")
	}
	dir := t.TempDir()
	var out bytes.Buffer
	res, err := runRateBench(context.Background(), &out, rateBenchOptions{
		Rate: 200, Latency: 5 * time.Millisecond, Concurrency: 16, Phase: 3 * time.Second, Out: dir,
	})
	if err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(filepath.Join(dir, "rate-convergence.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	if got, want := rows[0], []string{"second", "throttle", "served", "throttled", "client_limit"}; !slices.Equal(got, want) {
		t.Fatalf("header=%q, want %q", got, want)
	}
	rows = rows[1:]
	if got, want := len(rows), 9; got != want {
		t.Fatalf("rows=%d, want %d (one per second)", got, want)
	}
	wantThrottle := []string{"200", "200", "200", "100", "100", "100", "200", "200", "200"}
	for i, row := range rows {
		if got, want := row[0], strconv.Itoa(i); got != want {
			t.Errorf("row %d: second=%s, want %s", i, got, want)
		}
		if got, want := row[1], wantThrottle[i]; got != want {
			t.Errorf("row %d: throttle=%s, want %s (halved at 3 s, doubled at 6 s)", i, got, want)
		}
		for _, col := range row[2:] {
			if v, err := strconv.ParseFloat(col, 64); err != nil || v < 0 {
				t.Errorf("row %d: %q is not a count or rate", i, col)
			}
		}
	}

	// The sweep ran through every phase and the client found a limit.
	if got, want := len(res.Phases), 3; got != want {
		t.Fatalf("phases=%d, want %d", got, want)
	}
	for i, p := range res.Phases {
		if p.Served == 0 {
			t.Errorf("phase %d: nothing served", i)
		}
	}
	if last := res.Seconds[len(res.Seconds)-1]; last.Limit <= 0 {
		t.Errorf("client limit at the end=%v, want a limit found from the 429s", last.Limit)
	}

	b, err := os.ReadFile(filepath.Join(dir, "rate-convergence.svg"))
	if err != nil {
		t.Fatal(err)
	}
	doc := mustParseSVG(t, b)
	if got, want := len(doc.Polylines), 4; got != want {
		t.Errorf("SVG polylines=%d, want %d", got, want)
	}
	for _, name := range []string{"throttle", "served/s", "429/s", "client limit"} {
		if !slices.Contains(doc.Texts, name) {
			t.Errorf("SVG has no legend %q", name)
		}
	}
	if !strings.Contains(out.String(), "halved") || !strings.Contains(out.String(), "doubled") {
		t.Errorf("summary does not name the changes:\n%s", out.String())
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	t.Logf("\n%s", out.String())
}

func TestRateBench_Validate(t *testing.T) {
	tests := []struct {
		name string
		o    rateBenchOptions
	}{
		{"negative rate", rateBenchOptions{Rate: -1}},
		{"NaN rate", rateBenchOptions{Rate: math.NaN()}},
		{"part of a second", rateBenchOptions{Phase: 1500 * time.Millisecond}},
		{"under a second", rateBenchOptions{Phase: time.Millisecond}},
		{"negative concurrency", rateBenchOptions{Concurrency: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := runRateBench(context.Background(), &bytes.Buffer{}, tt.o); err == nil {
				t.Fatalf("runRateBench(%+v) = nil error, want one", tt.o)
			}
		})
	}
}
