package jobs

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/mcawatch/mcawatch/fetch"
	"github.com/mcawatch/mcawatch/report"
)

// Outcomes of a sweep, the values of mcawatch_last_run_outcome's label.
const (
	OutcomeSuccess     = "success"
	OutcomeFailed      = "failed"
	OutcomeInterrupted = "interrupted"
	OutcomeAuthFailed  = "auth_failed"
)

var outcomes = []string{OutcomeSuccess, OutcomeFailed, OutcomeInterrupted, OutcomeAuthFailed}

// Standings are the values of mcawatch_customers' label: storage's
// standings, plus customers with no reseller relationship, which are on the
// Errors sheet without being an error.
var standings = []string{"accepted", "direct_signed", "outdated", "missing", "error", "no_relationship"}

// Metrics are a sweep's figures in Prometheus form. They live in a registry
// of their own rather than the global one, so nothing another package
// registers leaks into them and tests can build as many as they like. serve
// exposes them on /metrics; run --metrics-file writes them for
// node_exporter's textfile collector.
type Metrics struct {
	reg          *prometheus.Registry
	start        prometheus.Gauge
	duration     prometheus.Gauge
	outcome      *prometheus.GaugeVec
	lastSuccess  prometheus.Gauge
	customers    *prometheus.GaugeVec
	requests     prometheus.Gauge
	throttled    prometheus.Gauge
	requestsAll  prometheus.Counter
	throttledAll prometheus.Counter
	next         prometheus.Gauge
}

// NewMetrics registers mcawatch's metrics in a new registry; version labels
// mcawatch_build_info.
func NewMetrics(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		start: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_last_run_start_timestamp_seconds",
			Help: "When the last sweep started, in seconds since the Unix epoch."}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_last_run_duration_seconds",
			Help: "How long the last sweep took, report included."}),
		outcome: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mcawatch_last_run_outcome",
			Help: "1 for the last sweep's outcome (success, failed, interrupted, auth_failed), 0 for the others."}, []string{"outcome"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_last_success_timestamp_seconds",
			Help: "When the last successful sweep finished, in seconds since the Unix epoch; 0 if none has yet."}),
		customers: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "mcawatch_customers",
			Help: "Customers of the last successful sweep by standing: accepted, direct_signed, outdated, missing (blocked for orders: outdated + missing), error, no_relationship."}, []string{"standing"}),
		requests: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_last_run_requests",
			Help: "HTTP requests the last sweep sent to Partner Center."}),
		throttled: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_last_run_throttled_requests",
			Help: "429 answers the last sweep got from Partner Center."}),
		requestsAll: prometheus.NewCounter(prometheus.CounterOpts{Name: "mcawatch_requests_total",
			Help: "HTTP requests sent to Partner Center by this process."}),
		throttledAll: prometheus.NewCounter(prometheus.CounterOpts{Name: "mcawatch_throttled_requests_total",
			Help: "429 answers from Partner Center seen by this process."}),
		next: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_next_run_timestamp_seconds",
			Help: "When serve runs the next sweep, in seconds since the Unix epoch."}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "mcawatch_build_info",
		Help: "Always 1; the version label is the running build's.", ConstLabels: prometheus.Labels{"version": version}})
	info.Set(1)
	m.reg.MustRegister(m.start, m.duration, m.outcome, m.lastSuccess, m.customers,
		m.requests, m.throttled, m.requestsAll, m.throttledAll, info)
	for _, o := range outcomes {
		m.outcome.WithLabelValues(o)
	}
	for _, s := range standings {
		m.customers.WithLabelValues(s)
	}
	return m
}

// SweepOutcome names how a sweep ended: err nil is a success, an
// authentication failure is auth_failed, ErrInterrupted is interrupted.
func SweepOutcome(err error) string {
	switch {
	case err == nil:
		return OutcomeSuccess
	case errors.Is(err, fetch.ErrUnauthorized), errors.Is(err, fetch.ErrMFARequired):
		return OutcomeAuthFailed
	case errors.Is(err, ErrInterrupted):
		return OutcomeInterrupted
	default:
		return OutcomeFailed
	}
}

// ObserveSweep records one sweep: when it started, how long it took, how it
// ended (err), the client's request counts, and on success the report's
// customers by standing. The standings keep the last successful sweep's
// figures after a failure, as the report folder does.
func (m *Metrics) ObserveSweep(started time.Time, took time.Duration, rep *report.Report, stats fetch.Stats, err error) {
	m.start.Set(unixSeconds(started))
	m.duration.Set(took.Seconds())
	got := SweepOutcome(err)
	for _, o := range outcomes {
		v := 0.0
		if o == got {
			v = 1
		}
		m.outcome.WithLabelValues(o).Set(v)
	}
	m.requests.Set(float64(stats.Requests))
	m.throttled.Set(float64(stats.Throttled))
	m.requestsAll.Add(float64(stats.Requests))
	m.throttledAll.Add(float64(stats.Throttled))
	if err != nil || rep == nil {
		return
	}
	m.lastSuccess.Set(unixSeconds(started.Add(took)))
	s := rep.Summary
	for standing, n := range map[string]int{
		"accepted":        s.Accepted - s.DirectSigned,
		"direct_signed":   s.DirectSigned,
		"outdated":        s.Outdated,
		"missing":         s.Missing,
		"error":           s.Errors,
		"no_relationship": s.NoRelationship,
	} {
		m.customers.WithLabelValues(standing).Set(float64(n))
	}
}

// SetNextRun records when serve runs the next sweep. The gauge is
// registered on first use, so a one-shot run's textfile does not carry a
// schedule it does not have.
func (m *Metrics) SetNextRun(at time.Time) {
	if err := m.reg.Register(m.next); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
		return
	}
	m.next.Set(unixSeconds(at))
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// WriteFile writes the metrics to path in the text format node_exporter's
// textfile collector reads. The file is written under a temporary name in
// the same folder and renamed, so the collector never reads half of it.
func (m *Metrics) WriteFile(path string) error {
	families, err := m.reg.Gather()
	if err != nil {
		return fmt.Errorf("gather metrics: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write metrics file: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	enc := expfmt.NewEncoder(tmp, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, f := range families {
		if err := enc.Encode(f); err != nil {
			tmp.Close()
			return fmt.Errorf("write metrics file %s: %w", path, err)
		}
	}
	// node_exporter runs as another user: the file is readable by all, as
	// it holds counts only, never a name.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write metrics file %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write metrics file %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write metrics file: %w", err)
	}
	return nil
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
