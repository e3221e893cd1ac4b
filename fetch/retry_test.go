package fetch

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{in: "", want: 0},
		{in: "3", want: 3 * time.Second},
		{in: " 120 ", want: 2 * time.Minute},
		{in: "0", want: 0},
		{in: "-5", want: 0},
		{in: "999999999", want: maxRetryAfter},
		{in: now.Add(7 * time.Second).Format(http.TimeFormat), want: 7 * time.Second},
		{in: now.Add(-time.Minute).Format(http.TimeFormat), want: 0},
		{in: "soon", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// faultServer answers the first n requests with fault, then with the
// agreements fixture, recording every MS-RequestId.
type faultServer struct {
	mu    sync.Mutex
	n     int
	fault func(w http.ResponseWriter, r *http.Request)
	ids   []string
}

func (f *faultServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.ids = append(f.ids, r.Header.Get("MS-RequestId"))
	fail := len(f.ids) <= f.n
	f.mu.Unlock()
	if fail {
		f.fault(w, r)
		return
	}
	writeJSON(w, 200, fixtureBytes["agreements_seed004_valid.json"])
}

func (f *faultServer) requestIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ids...)
}

var fixtureBytes = map[string][]byte{}

func loadFixtures(tb testing.TB, names ...string) {
	for _, n := range names {
		fixtureBytes[n] = fixture(tb, n)
	}
}

// hijack lets a fault write raw bytes and close the connection.
func hijack(w http.ResponseWriter, raw string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	buf.WriteString(raw)
	buf.Flush()
	conn.Close()
}

func TestClient_Retry429(t *testing.T) {
	loadFixtures(t, "agreements_seed004_valid.json")
	tests := []struct {
		name       string
		retryAfter func() string
		want       time.Duration
	}{
		{name: "seconds", retryAfter: func() string { return "3" }, want: 3 * time.Second},
		{name: "http date", retryAfter: func() string { return time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat) }, want: 9 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultServer{n: 1, fault: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tt.retryAfter())
				writeJSON(w, 429, []byte(`{"code":"429","description":"Rate limit is exceeded"}`))
			}}
			c, rec := mustClient(t, mustServer(t, fs).URL, Options{})
			got, err := c.Agreements(context.Background(), "c")
			if err != nil || len(got) != 2 {
				t.Fatalf("Agreements() = %d records, %v; want 2, nil", len(got), err)
			}
			waits := rec.all()
			if len(waits) != 1 || waits[0] < tt.want || waits[0] > tt.want+time.Second {
				t.Fatalf("waits = %v, want one of about %v", waits, tt.want)
			}
			ids := fs.requestIDs()
			if len(ids) != 2 || ids[0] != ids[1] || !guidRE.MatchString(ids[0]) {
				t.Fatalf("MS-RequestIds = %v, want one GUID reused by the retry", ids)
			}
			if s := c.Stats(); s.Throttled != 1 || s.Retries != 1 || s.Requests != 2 {
				t.Fatalf("Stats() = %+v, want 1 throttled, 1 retry, 2 requests", s)
			}
		})
	}
}

func TestClient_Retry429Repeated(t *testing.T) {
	loadFixtures(t, "agreements_seed004_valid.json")
	fs := &faultServer{n: 4, fault: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(429)
	}}
	c, rec := mustClient(t, mustServer(t, fs).URL, Options{})
	c.jitter = func(d time.Duration) time.Duration { return d } // the bound itself
	if _, err := c.Agreements(context.Background(), "c"); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{time.Second, 1200 * time.Millisecond, 1400 * time.Millisecond, 1800 * time.Millisecond}
	got := rec.all()
	if len(got) != len(want) {
		t.Fatalf("waits = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits = %v, want %v (Retry-After, then exponential backoff)", got, want)
		}
	}
}

func TestClient_RetryFaults(t *testing.T) {
	loadFixtures(t, "agreements_seed004_valid.json", "agreements_seed004_malformed.json", "error_403_mca_missing.json")
	status := func(code int, body string) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, code, []byte(body)) }
	}
	reset := func(w http.ResponseWriter, r *http.Request) { hijack(w, "") }
	truncated := func(w http.ResponseWriter, r *http.Request) {
		hijack(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"totalCount\":2,\"items\":[{\"primary")
	}
	timeout := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name     string
		fault    func(http.ResponseWriter, *http.Request)
		failures int
		wantOK   bool
		wantReqs int
		status   int
		code     string
	}{
		{name: "500 then ok", fault: status(500, `{"code":"500","description":"oops"}`), failures: 2, wantOK: true, wantReqs: 3},
		{name: "503 gives up", fault: status(503, `{"code":"3000","description":"busy"}`), failures: 99, wantReqs: 3, status: 503, code: "3000"},
		{name: "reset then ok", fault: reset, failures: 2, wantOK: true, wantReqs: 3},
		{name: "reset gives up", fault: reset, failures: 99, wantReqs: 3, code: "reset"},
		{name: "timeout then ok", fault: timeout, failures: 1, wantOK: true, wantReqs: 2},
		{name: "timeout gives up", fault: timeout, failures: 99, wantReqs: 3, code: "timeout"},
		{name: "truncated then ok", fault: truncated, failures: 2, wantOK: true, wantReqs: 3},
		{name: "truncated gives up", fault: truncated, failures: 99, wantReqs: 3, status: 200, code: "truncated_body"},
		{name: "malformed not retried", fault: status(200, string(fixtureBytes["agreements_seed004_malformed.json"])), failures: 99, wantReqs: 1, status: 200, code: "malformed_body"},
		{name: "400 not retried", fault: status(400, `{"code":"400","description":"bad"}`), failures: 99, wantReqs: 1, status: 400, code: "400"},
		{name: "403 not retried", fault: status(403, string(fixtureBytes["error_403_mca_missing.json"])), failures: 99, wantReqs: 1, status: 403, code: "13605"},
		{name: "404 not retried", fault: status(404, ``), failures: 99, wantReqs: 1, status: 404, code: "http_404"},
		{name: "502 html retried", fault: status(502, `<html>bad gateway</html>`), failures: 1, wantOK: true, wantReqs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := &faultServer{n: tt.failures, fault: tt.fault}
			c, rec := mustClient(t, mustServer(t, fs).URL, Options{MaxAttempts: 3, Timeout: 100 * time.Millisecond})
			_, err := c.Agreements(context.Background(), "c")
			if got := len(fs.requestIDs()); got != tt.wantReqs {
				t.Fatalf("requests = %d, want %d (err %v)", got, tt.wantReqs, err)
			}
			if got, want := len(rec.all()), tt.wantReqs-1; got != want {
				t.Fatalf("backoff waits = %d, want %d", got, want)
			}
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Agreements() error = %v, want success after retries", err)
				}
				return
			}
			status, code, msg := ErrorFields(err)
			if status != tt.status || code != tt.code || msg == "" {
				t.Fatalf("ErrorFields(%v) = %d, %q; want %d, %q", err, status, code, tt.status, tt.code)
			}
			for _, id := range fs.requestIDs() {
				if id != fs.requestIDs()[0] {
					t.Fatal("retries of one request used different MS-RequestIds")
				}
			}
		})
	}
}

func TestClient_RetryHonoursContext(t *testing.T) {
	fs := &faultServer{n: 99, fault: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
	}}
	c, err := New(Options{BaseURL: mustServer(t, fs).URL, Token: StaticToken("x")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Agreements(ctx, "c")
		done <- err
	}()
	waitUntil(t, "the first request", func() bool { return len(fs.requestIDs()) > 0 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Agreements() error = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a Retry-After wait ignored the cancelled context")
	}
}

func TestClient_Backoff(t *testing.T) {
	c, _ := mustClient(t, "http://127.0.0.1:1", Options{})
	c.jitter = func(d time.Duration) time.Duration { return d }
	for n, want := range map[int]time.Duration{1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 8: 25600 * time.Millisecond, 9: 30 * time.Second, 60: 30 * time.Second} {
		if got := c.backoff(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
	for range 100 {
		if d := fullJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("fullJitter(1s) = %v", d)
		}
	}
}
