package pctest

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestBucket_Take(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		rate      float64
		at        []time.Duration // offsets of successive takes
		wantOK    []bool
		wantRetry int // Retry-After of the last take when refused
	}{
		{"burst of one then refill", 10, []time.Duration{0, 0, 100 * time.Millisecond}, []bool{true, false, true}, 0},
		{"burst is rate/10", 50, []time.Duration{0, 0, 0, 0, 0, 0}, []bool{true, true, true, true, true, false}, 1},
		{"slow rate waits whole seconds", 0.4, []time.Duration{0, time.Second}, []bool{true, false}, 2},
		{"time going back is ignored", 10, []time.Duration{time.Second, 0}, []bool{true, false}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBucket(tt.rate, t0)
			var retry int
			for i, off := range tt.at {
				ok, r := b.take(t0.Add(off))
				if ok != tt.wantOK[i] {
					t.Fatalf("take %d ok=%v, want %v", i, ok, tt.wantOK[i])
				}
				retry = r
			}
			if retry != tt.wantRetry {
				t.Errorf("last Retry-After=%d, want %d", retry, tt.wantRetry)
			}
		})
	}
	if newBucket(0, t0) != nil {
		t.Error("newBucket(0) is not nil: a zero Throttle must mean no throttle")
	}
}

func TestServer_Throttle(t *testing.T) {
	s := mustServer(t, Options{Customers: 10})
	const rate = 40.0
	s.SetFaults(Faults{Throttle: rate})
	path := "/v1/customers/" + s.Customers()[0].ID + "/agreements?agreementType=*"

	const window = 500 * time.Millisecond
	var (
		mu        sync.Mutex
		ok, extra int
		badRetry  []string
		errs      []error
		wg        sync.WaitGroup
	)
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(window)
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				resp, err := client.Do(newRequest(t, s, path))
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				_ = resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok++
				case http.StatusTooManyRequests:
					if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 || n > 2 {
						badRetry = append(badRetry, resp.Header.Get("Retry-After"))
					}
				default:
					extra++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("requests failed: %v", errs)
	}
	st := s.Stats()
	if st.Throttled == 0 {
		t.Fatal("no 429 answers from 4 clients hammering a 40 req/s throttle")
	}
	if len(badRetry) > 0 || extra > 0 {
		t.Errorf("bad Retry-After values %q, %d unexpected statuses", badRetry, extra)
	}
	// Burst 4 plus 40/s over ~0.5 s, with generous slack for a slow machine.
	if limit := int(rate*window.Seconds()) + 4 + 15; ok > limit {
		t.Errorf("served %d requests in %v at %v req/s, want at most %d", ok, window, rate, limit)
	}
	if ok < 5 {
		t.Errorf("served only %d requests in %v at %v req/s", ok, window, rate)
	}
	var perSecond int64
	for _, n := range st.PerSecond {
		perSecond += n
	}
	if perSecond != int64(ok) {
		t.Errorf("sum of PerSecond=%d, want the %d served", perSecond, ok)
	}
}
