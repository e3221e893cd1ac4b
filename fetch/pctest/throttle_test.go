package pctest

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestBucket_Take(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		faults    Faults
		at        []time.Duration // offsets of successive takes
		wantOK    []bool
		wantRetry int // Retry-After of the last take when refused
	}{
		{"burst of one then refill", Faults{Throttle: 10}, []time.Duration{0, 0, 100 * time.Millisecond}, []bool{true, false, true}, 0},
		{"burst is rate/10", Faults{Throttle: 50}, []time.Duration{0, 0, 0, 0, 0, 0}, []bool{true, true, true, true, true, false}, 1},
		{"slow rate waits whole seconds", Faults{Throttle: 0.4}, []time.Duration{0, time.Second}, []bool{true, false}, 2},
		{"time going back is ignored", Faults{Throttle: 10}, []time.Duration{time.Second, 0}, []bool{true, false}, 1},
		{"burst as asked", Faults{Throttle: 5, ThrottleBurst: 3}, []time.Duration{0, 0, 0, 0, 200 * time.Millisecond}, []bool{true, true, true, false, true}, 0},
		{"burst of one at 100/s", Faults{Throttle: 100, ThrottleBurst: 1}, []time.Duration{0, 5 * time.Millisecond, 10 * time.Millisecond}, []bool{true, false, true}, 0},
		{"burst below one is one", Faults{Throttle: 5, ThrottleBurst: 0.2}, []time.Duration{0, 0}, []bool{true, false}, 1},
		// 3 requests in any 2 s: the fourth waits for the first to leave.
		{"window admits its count at once", Faults{Throttle: 1.5, ThrottleWindow: 2 * time.Second},
			[]time.Duration{0, 0, 0, 0}, []bool{true, true, true, false}, 2},
		{"window frees the oldest first", Faults{Throttle: 1.5, ThrottleWindow: 2 * time.Second},
			[]time.Duration{0, 500 * time.Millisecond, time.Second, 1900 * time.Millisecond, 2 * time.Second, 2100 * time.Millisecond},
			[]bool{true, true, true, false, true, false}, 1},
		{"window of a minute", Faults{Throttle: 500.0 / 60, ThrottleWindow: time.Minute},
			append(slices.Repeat([]time.Duration{0}, 500), 30*time.Second), append(slices.Repeat([]bool{true}, 500), false), 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBucket(tt.faults, t0)
			var retry int
			for i, off := range tt.at {
				ok, r := b.take(t0.Add(off))
				if ok != tt.wantOK[i] {
					t.Fatalf("take %d at %v ok=%v, want %v", i, off, ok, tt.wantOK[i])
				}
				retry = r
			}
			if retry != tt.wantRetry {
				t.Errorf("last Retry-After=%d, want %d", retry, tt.wantRetry)
			}
		})
	}
	if newBucket(Faults{}, t0) != nil || newBucket(Faults{ThrottleWindow: time.Minute}, t0) != nil {
		t.Error("newBucket without a Throttle is not nil: a zero Throttle must mean no throttle")
	}
}

// A sliding window never admits more than its count in any window, however
// the requests come.
func TestBucket_Take_WindowNeverExceeded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const window = 10 * time.Second
	b := newBucket(Faults{Throttle: 2, ThrottleWindow: window}, t0)
	var admitted []time.Duration
	for off := time.Duration(0); off < time.Minute; off += 37 * time.Millisecond {
		if ok, _ := b.take(t0.Add(off)); ok {
			admitted = append(admitted, off)
		}
	}
	for i := range admitted {
		j := i
		for j < len(admitted) && admitted[j]-admitted[i] < window {
			j++
		}
		if j-i > 20 {
			t.Fatalf("%d requests admitted in the window starting at %v, want at most 20", j-i, admitted[i])
		}
	}
	if got, want := len(admitted), 6*20; got < want-20 || got > want {
		t.Fatalf("admitted %d requests in a minute of 2/s windows of 10 s, want about %d", got, want)
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
