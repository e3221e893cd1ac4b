package jobs

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/report"
)

// parseMetrics reads the Prometheus text format as a scraper would.
func parseMetrics(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return fams
}

// metricValue is the value of name's series with the given label pair
// ("" for a series without labels).
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range f.GetMetric() {
		match := label == ""
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label && lp.GetValue() == value {
				match = true
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}

func scrape(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestMetrics_Handler_ShowsTheLastSweep(t *testing.T) {
	m := NewMetrics("v1.2.3")
	h := &Health{}
	srv := httptest.NewServer(OpsHandler(h, m))
	defer srv.Close()

	start := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	rep := &report.Report{Summary: report.Summary{Customers: 20, Accepted: 9, DirectSigned: 2, Outdated: 4, Missing: 3, Errors: 3, NoRelationship: 1}}
	m.ObserveSweep(start, 90*time.Second+500*time.Millisecond, rep, fetch.Stats{Requests: 41, Throttled: 3}, nil)
	m.SetNextRun(start.Add(24 * time.Hour))

	code, body := scrape(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", code)
	}
	fams := parseMetrics(t, strings.NewReader(body))
	checks := []struct {
		name, label, value string
		want               float64
	}{
		{"mcawatch_last_run_start_timestamp_seconds", "", "", float64(start.Unix())},
		{"mcawatch_last_run_duration_seconds", "", "", 90.5},
		{"mcawatch_last_run_outcome", "outcome", "success", 1},
		{"mcawatch_last_run_outcome", "outcome", "failed", 0},
		{"mcawatch_last_run_outcome", "outcome", "auth_failed", 0},
		{"mcawatch_last_success_timestamp_seconds", "", "", float64(start.Unix()) + 90.5},
		{"mcawatch_customers", "standing", "accepted", 7},
		{"mcawatch_customers", "standing", "direct_signed", 2},
		{"mcawatch_customers", "standing", "outdated", 4},
		{"mcawatch_customers", "standing", "missing", 3},
		{"mcawatch_customers", "standing", "error", 3},
		{"mcawatch_customers", "standing", "no_relationship", 1},
		{"mcawatch_last_run_requests", "", "", 41},
		{"mcawatch_last_run_throttled_requests", "", "", 3},
		{"mcawatch_requests_total", "", "", 41},
		{"mcawatch_throttled_requests_total", "", "", 3},
		{"mcawatch_next_run_timestamp_seconds", "", "", float64(start.Add(24 * time.Hour).Unix())},
		{"mcawatch_build_info", "version", "v1.2.3", 1},
	}
	for _, c := range checks {
		if got := metricValue(t, fams, c.name, c.label, c.value); got != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.value, got, c.want)
		}
	}
	var sum float64
	for _, s := range standings {
		sum += metricValue(t, fams, "mcawatch_customers", "standing", s)
	}
	if sum != 20 {
		t.Errorf("customers by standing add up to %v, want the run's 20", sum)
	}

	// A failed sweep: the outcome and request counts move, the standings
	// and the last success stay those of the last good report.
	m.ObserveSweep(start.Add(24*time.Hour), time.Second, nil, fetch.Stats{Requests: 2}, fmt.Errorf("list customers: %w", fetch.ErrUnauthorized))
	_, body = scrape(t, srv.URL+"/metrics")
	fams = parseMetrics(t, strings.NewReader(body))
	if got := metricValue(t, fams, "mcawatch_last_run_outcome", "outcome", "auth_failed"); got != 1 {
		t.Errorf("outcome auth_failed = %v after a 401, want 1", got)
	}
	if got := metricValue(t, fams, "mcawatch_last_run_outcome", "outcome", "success"); got != 0 {
		t.Errorf("outcome success = %v after a 401, want 0", got)
	}
	if got := metricValue(t, fams, "mcawatch_last_success_timestamp_seconds", "", ""); got != float64(start.Unix())+90.5 {
		t.Errorf("last success moved to %v after a failure", got)
	}
	if got := metricValue(t, fams, "mcawatch_customers", "standing", "missing"); got != 3 {
		t.Errorf("missing = %v after a failed sweep, want the last report's 3", got)
	}
	if got := metricValue(t, fams, "mcawatch_requests_total", "", ""); got != 43 {
		t.Errorf("requests_total = %v, want 43 over both sweeps", got)
	}
}

func TestMetrics_WriteFile_ReplacesTheFileAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mcawatch.prom")
	if err := os.WriteFile(path, []byte("# the previous run's metrics\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader that opened the old file keeps reading it whole: the new one
	// arrives by rename, never by rewriting the old one in place.
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()

	m := NewMetrics("v1.2.3")
	rep := &report.Report{Summary: report.Summary{Customers: 5, Accepted: 3, Missing: 2}}
	m.ObserveSweep(time.Unix(1_800_000_000, 0), 3*time.Second, rep, fetch.Stats{Requests: 11}, nil)
	if err := m.WriteFile(path); err != nil {
		t.Fatalf("WriteFile() = %v", err)
	}

	if b, err := io.ReadAll(old); err != nil || string(b) != "# the previous run's metrics\n" {
		t.Fatalf("the old file read %q (%v) after the write, want it untouched", b, err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams := parseMetrics(t, f)
	if got := metricValue(t, fams, "mcawatch_customers", "standing", "missing"); got != 2 {
		t.Errorf("missing = %v, want 2", got)
	}
	if _, ok := fams["mcawatch_next_run_timestamp_seconds"]; ok {
		t.Error("a one-shot run's file carries a next run time")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries after the write, want only the metrics file (no temporary left)", len(entries))
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("metrics file mode = %v (%v), want 0644 for node_exporter", fi.Mode().Perm(), err)
	}
}

func TestMetrics_WriteFile_FolderMissingSaysSo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-folder", "mcawatch.prom")
	err := NewMetrics("v1").WriteFile(path)
	if err == nil || !strings.Contains(err.Error(), "no-such-folder") {
		t.Fatalf("WriteFile() = %v, want an error naming the folder", err)
	}
}

func TestHealth_ServeHTTP_UnhealthyAfterAFailedSweepUntilOneSucceeds(t *testing.T) {
	h := &Health{}
	srv := httptest.NewServer(OpsHandler(h, NewMetrics("v1")))
	defer srv.Close()
	at := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)

	steps := []struct {
		name     string
		err      error
		wantCode int
		wantBody string
	}{
		{"no sweep yet", nil, http.StatusOK, "ok"},
		{"token refused", fmt.Errorf("list customers: %w", fetch.ErrUnauthorized), http.StatusServiceUnavailable, "authentication failed in the sweep at 2026-11-29T02:00:00Z"},
		{"shutdown says nothing", fmt.Errorf("run 3: %w: context canceled", ErrInterrupted), http.StatusServiceUnavailable, "authentication failed"},
		{"good sweep", nil, http.StatusOK, "ok"},
		{"storage failure", errors.New("store results: disk full"), http.StatusServiceUnavailable, "failed: store results: disk full"},
	}
	for i, s := range steps {
		if i > 0 {
			h.Record(at, s.err)
		}
		code, body := scrape(t, srv.URL+"/healthz")
		if code != s.wantCode || !strings.Contains(body, s.wantBody) {
			t.Fatalf("%s: /healthz = %d %q, want %d and %q", s.name, code, body, s.wantCode, s.wantBody)
		}
	}
}

func TestSweepOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, OutcomeSuccess},
		{fmt.Errorf("x: %w", fetch.ErrMFARequired), OutcomeAuthFailed},
		{fmt.Errorf("run 2: %w", ErrInterrupted), OutcomeInterrupted},
		{errors.New("disk full"), OutcomeFailed},
	}
	for _, tt := range tests {
		if got := SweepOutcome(tt.err); got != tt.want {
			t.Errorf("SweepOutcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
