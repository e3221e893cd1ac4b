package main

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func TestRateMatrix_Cells(t *testing.T) {
	o := matrixOptions{}.withDefaults()
	cells := matrixCells(o)
	if got, want := len(cells), 4*3*3; got != want {
		t.Fatalf("matrixCells()=%d cells, want %d (4 R × 3 L × 3 shapes)", got, want)
	}
	tests := []struct {
		cell          matrixCell
		wantIdeal     float64
		wantCustomers int
	}{
		{matrixCell{5, 100 * time.Millisecond, shapeBurst1}, 5, 300},       // a minute is 258: at least 300
		{matrixCell{20, 500 * time.Millisecond, shapeBurstR}, 20, 1034},    // 60 × 20 / 1.16
		{matrixCell{100, 500 * time.Millisecond, shapeBurst1}, 32, 1655},   // C/L = 16/0.5 s binds
		{matrixCell{8.33, 250 * time.Millisecond, shapeWindow}, 8.33, 860}, // two windows: 2 × 430
	}
	for _, tt := range tests {
		if got := tt.cell.idealRate(o.Concurrency); got != tt.wantIdeal {
			t.Errorf("%+v: idealRate()=%v, want %v", tt.cell, got, tt.wantIdeal)
		}
		if got := cellCustomers(tt.cell, o); got != tt.wantCustomers {
			t.Errorf("%+v: cellCustomers()=%d, want %d", tt.cell, got, tt.wantCustomers)
		}
	}
	f := matrixCell{20, time.Second, shapeBurst1}.faults(time.Minute)
	if f.Throttle != 20 || f.ThrottleBurst != 1 || f.ThrottleWindow != 0 || f.Latency != time.Second {
		t.Errorf("burst-1 faults = %+v", f)
	}
	if f := (matrixCell{20, time.Second, shapeWindow}).faults(time.Minute); f.ThrottleWindow != time.Minute || f.ThrottleBurst != 0 {
		t.Errorf("window faults = %+v", f)
	}
}

func TestRateMatrix_WriteCSVAndTable(t *testing.T) {
	o := matrixOptions{Rates: []float64{5}, Latencies: []time.Duration{100 * time.Millisecond}}.withDefaults()
	var results []matrixResult
	for i, s := range o.Shapes {
		results = append(results, matrixResult{matrixCell: matrixCell{5, 100 * time.Millisecond, s},
			Customers: 300, Seconds: 70, Served: 348, Throttled: int64(i), Ratio: 1.006, Share429: float64(i) / 349})
	}
	var buf bytes.Buffer
	if err := writeMatrixCSV(&buf, results); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][2] != "shape" || rows[1][2] != shapeBurst1 || rows[3][10] != "1.006" || rows[3][11] != "0.0057" {
		t.Fatalf("rate-matrix.csv rows = %q", rows)
	}
	buf.Reset()
	writeMatrixTable(&buf, results, o)
	out := buf.String()
	for _, want := range []string{"5/s", "100ms", "bucket, burst R: ratio", "1.006", "0.57%"} {
		if !strings.Contains(out, want) {
			t.Errorf("table does not say %q:\n%s", want, out)
		}
	}
}
