package jobs

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
)

// Health is serve's answer to "is mcawatch doing its job": healthy until a
// sweep fails, and again once one succeeds. It is safe for concurrent use.
type Health struct {
	mu     sync.Mutex
	reason string // empty: healthy
}

// Record takes the outcome of a sweep that ended at the given time; err nil
// is a success. A shutdown (ErrInterrupted) says nothing about health and
// leaves it as it was.
func (h *Health) Record(at time.Time, err error) {
	if errors.Is(err, ErrInterrupted) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.reason = ""
	case errors.Is(err, fetch.ErrUnauthorized), errors.Is(err, fetch.ErrMFARequired):
		h.reason = fmt.Sprintf("authentication failed in the sweep at %s: %v; renew the credentials (mcawatch check says how)", at.UTC().Format(time.RFC3339), err)
	default:
		h.reason = fmt.Sprintf("the sweep at %s failed: %v", at.UTC().Format(time.RFC3339), err)
	}
}

// Reason is why mcawatch is unhealthy, or "" when it is healthy.
func (h *Health) Reason() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.reason
}

// ServeHTTP answers 200 "ok" when the last sweep succeeded or none has run
// yet, and 503 with the reason otherwise.
func (h *Health) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if reason := h.Reason(); reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, reason)
		return
	}
	fmt.Fprintln(w, "ok")
}

// OpsHandler serves /healthz from h and /metrics from m.
func OpsHandler(h *Health, m *Metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", h)
	mux.Handle("GET /metrics", m.Handler())
	return mux
}
