package fetch

import (
	"context"
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
func approx(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
func sendOK(a *adaptiveRate, clk *fakeClock) {
	a.win.add(clk.now(), func(s *slot) { s.sent++ })
	a.observe(answered, 20*time.Millisecond)
}

// drive simulates a steady rate of successful answers for d.
func drive(a *adaptiveRate, clk *fakeClock, perSecond int, d time.Duration) {
	step := time.Second / time.Duration(perSecond)
	for el := time.Duration(0); el < d; el += step {
		clk.add(step)
		a.mu.Lock()
		a.grow(clk.now())
		a.mu.Unlock()
		sendOK(a, clk)
	}
}

func TestAdaptiveRate_StartsUnlimited(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(0, clk.now, discard)
	if got := a.current(); got != 0 {
		t.Fatalf("current() = %v, want 0 (unlimited)", got)
	}
	drive(a, clk, 400, 2*time.Second)
	if got := a.current(); got != 0 {
		t.Fatalf("current() after 2 s without 429 = %v, want still unlimited", got)
	}
	if err := a.wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestAdaptiveRate_CutOncePerBurst(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(0, clk.now, discard)
	drive(a, clk, 300, time.Second)
	a.observe(throttled, 20*time.Millisecond)
	first := a.current()
	if !approx(first, beta*300, 30) {
		t.Fatalf("limit after the first 429 = %v, want about %v (beta × achieved 300/s)", first, beta*300)
	}
	for range 10 { // the rest of the same overload, inside the guard
		clk.add(time.Millisecond)
		a.observe(throttled, 20*time.Millisecond)
	}
	if got := a.current(); got != first {
		t.Fatalf("limit after a burst of 429s = %v, want %v (counted once)", got, first)
	}
	clk.add(time.Second)
	drive(a, clk, 100, 500*time.Millisecond)
	a.observe(throttled, 20*time.Millisecond)
	if got := a.current(); got > beta*first+1 {
		t.Fatalf("limit after a later 429 = %v, want at most beta × %v", got, first)
	}
}

func TestAdaptiveRate_FewSamplesNoCut(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(0, clk.now, discard)
	sendOK(a, clk)
	a.observe(throttled, 20*time.Millisecond)
	if got := a.current(); got != 0 {
		t.Fatalf("current() = %v after one 429 with no traffic, want unlimited (Retry-After handles it)", got)
	}
}

func TestAdaptiveRate_Grow(t *testing.T) {
	t.Run("slow start doubles", func(t *testing.T) {
		clk := newFakeClock()
		a := newAdaptiveRate(50, clk.now, discard)
		for range 10 { // the workers keep up with the limit
			drive(a, clk, int(a.current()), 100*time.Millisecond)
		}
		if got := a.current(); got < 85 || got > 115 {
			t.Fatalf("limit after 1 s saturated at 50/s = %v, want about 100", got)
		}
	})
	t.Run("no growth when not binding", func(t *testing.T) {
		clk := newFakeClock()
		a := newAdaptiveRate(100, clk.now, discard)
		drive(a, clk, 20, 3*time.Second)
		if got := a.current(); got != 100 {
			t.Fatalf("limit = %v, want 100: an idle limiter must not grow", got)
		}
	})
	t.Run("back near the ceiling fast, then gently", func(t *testing.T) {
		clk := newFakeClock()
		a := newAdaptiveRate(0, clk.now, discard)
		drive(a, clk, 200, time.Second)
		a.observe(throttled, 20*time.Millisecond)
		cut := a.current()
		drive(a, clk, int(cut), time.Second)
		after1 := a.current()
		if after1 < 0.95*a.ceiling || after1 > 1.02*a.ceiling {
			t.Fatalf("limit 1 s after a cut to %v = %v, want within a few %% of the ceiling %v", cut, after1, a.ceiling)
		}
		drive(a, clk, int(after1), time.Second)
		if got := a.current(); got > 1.2*a.ceiling {
			t.Fatalf("limit 2 s after the cut = %v, want a gentle probe above the ceiling %v", got, a.ceiling)
		}
	})
}

// A second overload soon after a cut is judged on the few answers since
// the cut: too few to measure a rate, so the limit is cut by beta, not to
// whatever those few answers suggest.
func TestAdaptiveRate_CutSoonAfterCut(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(0, clk.now, discard)
	drive(a, clk, 200, time.Second)
	a.observe(throttled, 20*time.Millisecond)
	first := a.current()
	for range 3 { // three answers in the next 70 ms
		clk.add(23 * time.Millisecond)
		sendOK(a, clk)
	}
	clk.add(time.Millisecond)
	a.observe(throttled, 20*time.Millisecond) // sent 50 ms after the cut: new evidence
	got := a.current()
	if got > beta*first+1 {
		t.Fatalf("limit after a second overload = %v, want at most beta × %v", got, first)
	}
	if got < 0.95*beta*first {
		t.Fatalf("limit after a second overload = %v, want about beta × %v, not a rate measured on 3 answers", got, first)
	}
}

// A server whose rate doubled answers no 429 at the old ceiling: the probe
// above the ceiling must find the new rate within seconds, not creep.
func TestAdaptiveRate_FindsDoubledRate(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(0, clk.now, discard)
	drive(a, clk, 200, time.Second)
	a.observe(throttled, 20*time.Millisecond)
	ceiling := a.ceiling
	var elapsed, above time.Duration
	for a.current() < 2*ceiling && elapsed < 20*time.Second {
		drive(a, clk, int(a.current()), 100*time.Millisecond)
		elapsed += 100 * time.Millisecond
		if a.current() > ceiling {
			above += 100 * time.Millisecond
		}
	}
	if above > 6*time.Second || elapsed > 8*time.Second {
		t.Fatalf("limit took %v after the cut, %v of it above the ceiling %v, to reach twice the ceiling with no 429; want at most 8 s and 6 s",
			elapsed, above, ceiling)
	}
}

func TestAdaptiveRate_RefineFirstCut(t *testing.T) {
	clk := newFakeClock()
	a := newAdaptiveRate(0, clk.now, discard)
	drive(a, clk, 800, 300*time.Millisecond) // unthrottled fast start
	a.observe(throttled, 20*time.Millisecond)
	first := a.current()
	if first < 500 {
		t.Fatalf("first cut = %v, want it from the fast start's rate (about %v)", first, beta*800)
	}
	// The requests in flight come back: 429s, with the server passing 200/s.
	for range 8 {
		clk.add(5 * time.Millisecond)
		sendOK(a, clk)
		for range 3 {
			a.observe(throttled, 20*time.Millisecond)
		}
	}
	if got := a.current(); got > 0.5*first || got < first/4 {
		t.Fatalf("limit after the in-flight 429s = %v, want it refined well below %v (the server passed 200/s)", got, first)
	}
}
