package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const testToken = "test-access-token-5f2c9a"

// fixture returns a file of testdata/fetch.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fetch", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sleepRecorder replaces Client.sleep: it records waits and returns at once
// (or with ctx's error).
type sleepRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepRecorder) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// mustServer starts an httptest server with h, closed at test end.
func mustServer(tb testing.TB, h http.Handler) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv
}

// mustClient returns a Client for baseURL whose waits are recorded, not
// slept. opts fields left zero get test defaults.
func mustClient(tb testing.TB, baseURL string, opts Options) (*Client, *sleepRecorder) {
	tb.Helper()
	opts.BaseURL = baseURL
	if opts.Token == nil {
		opts.Token = StaticToken(testToken)
	}
	c, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	rec := &sleepRecorder{}
	c.sleep = rec.sleep
	return c, rec
}

// writeJSON answers status with body.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// bothTypes tracks the two agreement types the fixtures hold.
var bothTypes = []string{TypeMCA, TypeMCloudA}

// waitUntil polls cond until it holds, failing the test if it does not
// within 10 seconds: a polling loop never waits forever.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
