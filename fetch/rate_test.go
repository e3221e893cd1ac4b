package fetch

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"testing"
	"time"
)

var discard = slog.New(slog.DiscardHandler)

// fakeClock is a settable clock for the rate controller.
type fakeClock struct{ t time.Time }

func (f *fakeClock) now() time.Time      { return f.t }
func (f *fakeClock) add(d time.Duration) { f.t = f.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)} }

// Partner Center's documented pace: 500 requests a minute, answers in a few
// hundred milliseconds. The controller of 3cd366b answered 60–64% of such a
// sweep's requests 429 and took 1.40 × the ideal time.
func TestAdaptiveRate_Sweep_FewThrottledAt8PerSecond200ms(t *testing.T) {
	for _, burst := range []float64{1, 8.33} {
		t.Run(fmt.Sprintf("burst=%g", burst), func(t *testing.T) {
			o := simOptions{rate: 8.33, burst: burst, latency: 200 * time.Millisecond, concurrency: 16, requests: simRequests(8.33, 200*time.Millisecond, 16)}
			res := simulate(t, o)
			t.Logf("ratio %.3f, 429s %d of %d (%.2f%%), settled %.2f/s", res.ratio(o), res.throttled, res.served+res.throttled, 100*res.share429(), res.settled)
			if got := res.ratio(o); got > 1.15 {
				t.Errorf("sweep took %.3f × answered requests ÷ R, want at most 1.15", got)
			}
			if got := res.share429(); got >= 0.06 {
				t.Errorf("%.2f%% of requests were answered 429, want under 6%%", 100*got)
			}
			if got := res.settled; math.Abs(got-8.33) > 0.1*8.33 {
				t.Errorf("settled rate %.2f/s, want within 10%% of the server's 8.33/s", got)
			}
		})
	}
}

// The whole grid users meet, from a cold start, against a bucket with a
// burst of 1 and of R, on a quiet server and on one whose answers come up to
// 2 ms late at random (the scheduling noise of a loaded machine, which a
// burst-1 bucket turns into 429s). The design's target is 1.10 and under 2%
// 429s; what this controller reaches is bounded here (see BENCHMARKS.md, "The
// rate matrix", for the cells still above the target), so that a change that
// makes any cell worse fails. A burst-1 bucket at 100/s refuses a request
// that comes less than 10 ms after the one before: 2 ms of noise costs a
// fifth of that rate whatever the client does, hence its own bound.
func TestAdaptiveRate_Sweep_PartnerCenterPaceGrid(t *testing.T) {
	const concurrency = 16
	for _, jitter := range []time.Duration{0, 2 * time.Millisecond} {
		for _, r := range []float64{5, 8.33, 20, 100} {
			for _, l := range []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond} {
				for _, burst := range []float64{1, r} {
					t.Run(fmt.Sprintf("jitter=%v/R=%g/L=%v/burst=%g", jitter, r, l, burst), func(t *testing.T) {
						o := simOptions{rate: r, burst: burst, latency: l, jitter: jitter, concurrency: concurrency, requests: simRequests(r, l, concurrency)}
						res := simulate(t, o)
						t.Logf("ratio %.3f, 429s %d of %d (%.2f%%), settled %.2f/s", res.ratio(o), res.throttled, res.served+res.throttled, 100*res.share429(), res.settled)
						maxRatio := 1.20
						if jitter > 0 && r == 100 && burst == 1 && l == 100*time.Millisecond {
							maxRatio = 1.30
						}
						if got := res.ratio(o); got > maxRatio {
							t.Errorf("sweep took %.3f × answered requests ÷ min(R, C/L), want at most %.2f", got, maxRatio)
						}
						if got := res.share429(); got >= 0.07 {
							t.Errorf("%.2f%% of requests were answered 429, want under 7%%", 100*got)
						}
					})
				}
			}
		}
	}
}

// Today's figures at 1,000 requests a second and 20 ms stay: 1.00–1.05 of R
// per request and under 1% 429s.
func TestAdaptiveRate_Sweep_KeepsHighRates(t *testing.T) {
	for _, o := range []simOptions{
		{rate: 1000, burst: 100, latency: 20 * time.Millisecond, concurrency: 64, requests: 11_500},
		{rate: 200, burst: 20, latency: 20 * time.Millisecond, concurrency: 16, requests: 2_300},
	} {
		t.Run(fmt.Sprintf("R=%g/N=%d", o.rate, o.requests), func(t *testing.T) {
			res := simulate(t, o)
			if got := res.ratio(o); got > 1.05 {
				t.Errorf("sweep took %.3f × answered requests ÷ R, want at most 1.05", got)
			}
			if got := res.share429(); got >= 0.0125 {
				t.Errorf("%.2f%% of requests were answered 429, want about 1%% at most", 100*got)
			}
		})
	}
}

// With no throttle in sight the sweep runs at what its workers allow,
// Concurrency ÷ latency, from its first second: the slow start of 23b9d84
// left the workers waiting for a token at the 4/s cold-start limit while
// answers raised it, and lost about a quarter of a second a sweep (0.81–0.87
// of C/L in BenchmarkSweep_FanOut).
func TestAdaptiveRate_Sweep_UnthrottledFanOutAtConcurrencyOverLatency(t *testing.T) {
	for _, conc := range []int{16, 64} {
		t.Run(fmt.Sprintf("C=%d", conc), func(t *testing.T) {
			o := simOptions{rate: 1e6, burst: 1e6, latency: 20 * time.Millisecond, concurrency: conc, requests: conc * 100}
			res := simulate(t, o)
			t.Logf("ratio %.3f, served a second: %v", res.ratio(o), res.perSecond)
			if got := res.ratio(o); got > 1.10 {
				t.Errorf("sweep took %.3f × answered requests ÷ (C/L), want at most 1.10 (≥ 0.91 of C/L)", got)
			}
		})
	}
}

// The rate-change run at 10/s and 250 ms: the throttle halves after 40 s and
// doubles back after 80 s; the sweep serves within 10% of the throttle three
// seconds running within 5 s of the halving and 30 s of the doubling.
func TestAdaptiveRate_Sweep_FollowsRateChange(t *testing.T) {
	const phase = 40 * time.Second
	clk0 := newFakeClock().now()
	current := 10.0
	o := simOptions{rate: 10, burst: 1, latency: 250 * time.Millisecond, concurrency: 16, requests: 1100}
	o.change = func(elapsed time.Duration) simThrottle {
		want := 10.0
		if elapsed >= phase && elapsed < 2*phase {
			want = 5
		}
		if want == current {
			return nil
		}
		current = want
		return &simBucket{rate: want, burst: 1, tokens: 1, last: clk0.Add(elapsed)}
	}
	res := simulate(t, o)
	follow := func(from int, target float64) int {
		run := 0
		for i := from; i < len(res.perSecond); i++ {
			if math.Abs(float64(res.perSecond[i])-target) <= 0.1*target {
				run++
			} else {
				run = 0
			}
			if run == 3 {
				return i - 2 - from
			}
		}
		return -1
	}
	halved, doubled := follow(40, 5), follow(80, 10)
	t.Logf("served a second: %v", res.perSecond)
	if halved < 0 || halved > 5 {
		t.Errorf("followed the halving after %d s, want within 5 s", halved)
	}
	if doubled < 0 || doubled > 30 {
		t.Errorf("followed the doubling after %d s, want within 30 s", doubled)
	}
}

// Partner Center documents its limits as requests a minute: a sliding
// window that admits a minute's allowance at once and then refuses
// everything until the oldest request leaves it. Its long Retry-After
// pauses every worker instead of each worker being refused in turn.
func TestAdaptiveRate_Sweep_SlidingWindowPausesEveryone(t *testing.T) {
	o := simOptions{rate: 5, window: time.Minute, latency: 100 * time.Millisecond, concurrency: 16, requests: 700}
	res := simulate(t, o)
	t.Logf("ratio %.3f, 429s %d of %d, settled %.2f/s", res.ratio(o), res.throttled, res.served+res.throttled, res.settled)
	if res.throttled > 2*o.concurrency {
		t.Errorf("%d requests answered 429, want at most %d: after the first window's refusals everyone waits", res.throttled, 2*o.concurrency)
	}
	if got := res.ratio(o); got > 1.10 {
		t.Errorf("sweep took %.3f × answered requests ÷ R, want at most 1.10", got)
	}
}

// A sweep that starts from the rate the last one settled at needs no
// start: few 429s and no time lost finding the rate.
func TestAdaptiveRate_Sweep_StartsFromRememberedRate(t *testing.T) {
	cold := simOptions{rate: 8.33, burst: 8.33, latency: 250 * time.Millisecond, concurrency: 16, requests: 500}
	first := simulate(t, cold)
	warm := cold
	warm.initial = first.settled
	second := simulate(t, warm)
	t.Logf("cold: ratio %.3f, %d 429s, settled %.2f; warm: ratio %.3f, %d 429s", first.ratio(cold), first.throttled, first.settled, second.ratio(warm), second.throttled)
	if first.settled < 0.9*8.33 || first.settled > 1.1*8.33 {
		t.Fatalf("settled %.2f/s, want within 10%% of 8.33/s", first.settled)
	}
	if second.throttled >= first.throttled || second.ratio(warm) > 1.05 {
		t.Errorf("warm start: %d 429s and ratio %.3f, want fewer than the cold start's %d and at most 1.05", second.throttled, second.ratio(warm), first.throttled)
	}
}

func TestAdaptiveRate_Wait(t *testing.T) {
	t.Run("a cancelled context ends the wait", func(t *testing.T) {
		a := newAdaptiveRate(0.5, time.Now, discard)
		if err := a.wait(context.Background(), false); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := a.wait(ctx, false); err == nil {
			t.Fatal("wait() = nil with a cancelled context and no token, want its error")
		}
	})
	t.Run("the in-flight bound holds until an answer", func(t *testing.T) {
		clk := newFakeClock()
		a := newAdaptiveRate(1000, clk.now, discard)
		a.mu.Lock()
		a.rtt = time.Millisecond // at 980/s: ceil(2×0.98)+2 = 4 in flight
		a.mu.Unlock()
		for i := range 4 {
			clk.add(10 * time.Millisecond)
			if d := simAdmit(a, clk.now(), false); d != 0 {
				t.Fatalf("request %d: admit() = %v, want 0", i, d)
			}
		}
		clk.add(10 * time.Millisecond)
		if d := simAdmit(a, clk.now(), false); d != untilAnswer {
			t.Fatalf("fifth request in flight: admit() = %v, want untilAnswer", d)
		}
		a.mu.Lock()
		woken := a.answered
		a.mu.Unlock()
		a.release()
		select {
		case <-woken:
		default:
			t.Fatal("release() did not wake the waiter")
		}
		if d := simAdmit(a, clk.now(), false); d != 0 {
			t.Fatalf("after one answer: admit() = %v, want 0", d)
		}
	})
}

// A 429 for a request sent before the last cut is the same overload
// answering late: the limit is cut once.
func TestAdaptiveRate_Observe_OneCutPerOverload(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(100, clk.now, discard)
	var sent []time.Time
	for range 200 { // two seconds at the limit, all answered
		clk.add(10 * time.Millisecond)
		simAdmit(a, clk.now(), false)
		sent = append(sent, clk.now())
		a.observe(answered, clk.now().Add(-50*time.Millisecond), 0)
		simRelease(a)
	}
	clk.add(10 * time.Millisecond)
	a.observe(throttled, sent[len(sent)-5], time.Second)
	first := a.current()
	if first >= 100 {
		t.Fatalf("limit after a 429 = %v, want below 100", first)
	}
	for _, s := range sent[len(sent)-4:] { // sent before the cut
		clk.add(time.Millisecond)
		a.observe(throttled, s, time.Second)
	}
	if got := a.current(); got != first {
		t.Fatalf("limit after late 429s = %v, want %v: one overload is one cut", got, first)
	}
}
