package pctest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// mustServer starts a Server closed at the end of the test.
func mustServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(s.Close)
	return s
}

var guidCounter atomic.Uint64

// testGUID returns a fresh, well-formed GUID.
func testGUID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", guidCounter.Add(1))
}

// newRequest builds an API request with every header a good client sends.
func newRequest(tb testing.TB, s *Server, path string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("MS-RequestId", testGUID())
	req.Header.Set("MS-CorrelationId", "11111111-2222-4333-8444-555555555555")
	req.Header.Set("X-Locale", "en-US")
	req.Header.Set("MS-PartnerCenter-Application", "mcawatch/test")
	return req
}

// do sends req with a short timeout and reads the whole answer.
func do(tb testing.TB, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s: %v", req.URL, err)
	}
	return resp, body
}

// get sends a well-formed GET for path.
func get(tb testing.TB, s *Server, path string) (*http.Response, []byte) {
	tb.Helper()
	return do(tb, newRequest(tb, s, path))
}

// decodeJSON decodes one JSON value from r into v.
func decodeJSON(r io.Reader, v any) error {
	return json.NewDecoder(r).Decode(v)
}

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
