package fetch

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// The adaptive rate discovers Partner Center's throttle instead of trusting
// a number: the agreements call's limit is not published and the limit is
// per partner tenant, shared with whatever else the partner runs.
//
// It is an AIMD controller over one rate.Limiter shared by all workers:
//
//   - Decrease: on a 429 the limit drops to beta × the rate of successful
//     answers over the last few round trips (what the server actually
//     allowed; right after a cut, measured since that cut), and never above
//     beta × the current limit. A burst of 429s from one overload counts
//     once: a 429 for a request sent before the last cut (or within a round
//     trip after it, already scheduled at the old rate) is only counted;
//     one sent later is new evidence that the limit is still too high, so
//     cuts come at most once per round trip. The successful rate at the cut
//     is remembered as the ceiling. The request that got the 429 also waits
//     its Retry-After (request.go). Fewer than minSamples successes in the
//     last second is too little to measure: then only Retry-After applies.
//     After a fast start the first cut's estimate is too high (it counts
//     successes from before the overload); the late 429s of that overload
//     refine it downwards (refine), so the workers waking from their
//     Retry-After do not trip the throttle again.
//   - Increase, every growStep from the last cut on, and only while the
//     limiter is what holds the sweep back (the rate actually sent is near
//     the limit): with no ceiling known the limit doubles every second
//     (slow start); below the ceiling the gap to it closes by 75% a second,
//     so the sweep gets back near the server's rate quickly; above the
//     ceiling it probes, gently at first (3% of the ceiling a second), which
//     is what keeps 429s rare while the server's rate stays put, and faster
//     the longer no 429 comes: the probe's speed doubles with every second
//     spent above the ceiling, so a server that doubled its rate is found in
//     about five seconds. At twice the old ceiling without a 429 the ceiling
//     is forgotten and slow start resumes.
//
// With InitialRate 0 the limiter starts unlimited, so a server without a
// throttle sees the full fan-out (Concurrency requests in flight); the first
// 429 sets the limit from the rate measured then.
const (
	beta        = 0.85                   // multiplicative decrease
	minRate     = 1.0                    // requests/s floor after cuts
	slotWidth   = 10 * time.Millisecond  // window granularity
	nSlots      = 100                    // window = 1 s
	growStep    = 100 * time.Millisecond // how often the limit may grow
	minSpan     = 100 * time.Millisecond // shortest window to measure the achieved rate
	probeFactor = 0.03                   // above the ceiling: share of the ceiling added per second, at first; doubles every second
	minSamples  = 8                      // successful answers in the last second needed to cut
	// minRefineSamples successful answers since a cut are needed to refine it.
	minRefineSamples = 3
)

// adaptiveRate is the shared request-rate controller.
type adaptiveRate struct {
	// unlimited mirrors limit == +Inf, so that wait can skip the limiter
	// and the growth check without taking mu.
	unlimited  atomic.Bool
	mu         sync.Mutex
	lim        *rate.Limiter
	now        func() time.Time
	limit      float64 // requests/s; +Inf when unlimited
	ceiling    float64 // successful rate at the last cut; 0 when unknown
	lastCut    time.Time
	lastGrow   time.Time
	aboveSince time.Time // when the limit passed the ceiling; zero when below
	// discovering is set when the last cut came with no ceiling known
	// (an unlimited or slow start): refine may then lower it.
	discovering bool
	rtt         time.Duration
	win         window
	log         *slog.Logger
}

func newAdaptiveRate(initial float64, now func() time.Time, log *slog.Logger) *adaptiveRate {
	a := &adaptiveRate{now: now, limit: math.Inf(1), log: log}
	t := now()
	a.lastGrow = t
	a.win.start = t
	if initial > 0 {
		a.limit = initial
	}
	a.lim = rate.NewLimiter(rate.Limit(a.limit), burstFor(a.limit))
	a.unlimited.Store(math.IsInf(a.limit, 1))
	return a
}

// burstFor allows a few requests back to back (1/50 s worth) so timer
// granularity does not hold a high rate back, without letting idle time
// build a burst that trips the server's throttle.
func burstFor(limit float64) int {
	if math.IsInf(limit, 1) {
		return 1
	}
	return max(1, int(limit/50))
}

// wait blocks until the shared limiter admits one request or ctx ends.
func (a *adaptiveRate) wait(ctx context.Context) error {
	if a.unlimited.Load() {
		// An unlimited limit neither grows nor makes anyone wait: only
		// count the request, since the first cut measures from the window.
		if err := ctx.Err(); err != nil {
			return err
		}
		a.mu.Lock()
		a.win.add(a.now(), func(s *slot) { s.sent++ })
		a.mu.Unlock()
		return nil
	}
	a.mu.Lock()
	a.grow(a.now())
	a.mu.Unlock()
	if err := a.lim.Wait(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	a.mu.Lock()
	a.win.add(a.now(), func(s *slot) { s.sent++ })
	a.mu.Unlock()
	return nil
}

// answer is what one request got, as the rate controller sees it.
type answer int

const (
	answered  answer = iota // any answer but 429
	throttled               // 429
	noAnswer                // transport failure: says nothing about the rate
)

// observe records one request's answer and latency, and cuts the limit on a
// 429.
func (a *adaptiveRate) observe(ans answer, latency time.Duration) {
	if ans == noAnswer {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if a.rtt == 0 {
		a.rtt = latency
	} else {
		a.rtt += (latency - a.rtt) / 8
	}
	if ans == answered {
		a.win.add(now, func(s *slot) { s.ok++ })
		return
	}
	a.win.add(now, func(s *slot) { s.throttled++ })
	// A 429 for a request sent before the last cut, or so soon after it
	// that the limiter had already scheduled it at the old rate, is the same
	// overload answering late: count it once. One sent later says the new
	// limit is still too high; such 429s come at most once per round trip.
	if !a.lastCut.IsZero() && now.Add(-latency).Before(a.lastCut.Add(max(a.rtt, minSpan/2))) {
		a.refine(now)
		return
	}
	if a.win.count(now, time.Second, func(s slot) int { return s.ok }) < minSamples {
		// Too little traffic to measure what the server allows: the
		// request's own Retry-After and backoff are the whole answer.
		return
	}
	// Measure what the server let through over the last few round trips,
	// or, right after a cut, since that cut: the successes from before the
	// overload began would overstate the server's rate.
	span := min(max(4*a.rtt, minSpan), time.Second)
	if since := now.Sub(a.lastCut); !a.lastCut.IsZero() && since < span {
		span = max(since, 3*slotWidth)
	}
	okSlot := func(s slot) int { return s.ok }
	okRate := a.win.rate(now, span, okSlot)
	next := beta * okRate
	if !math.IsInf(a.limit, 1) {
		if a.win.count(now, span, okSlot) < minSamples {
			// A span cut short by a recent cut holds too few answers
			// to measure a rate (at 200/s, 30 ms is 6 answers): cut
			// the limit itself, which the answers so far did not refute.
			okRate = a.limit
		}
		next = min(beta*okRate, beta*a.limit)
	}
	a.log.Debug("request rate cut after a 429", "from", a.limit, "to", max(next, minRate), "achieved", okRate)
	a.discovering = a.ceiling == 0
	a.set(now, max(next, minRate))
	a.ceiling = max(okRate, minRate)
	a.lastCut = now
	a.lastGrow = now
	a.aboveSince = time.Time{}
}

// refine sharpens the first cut after a fast start. At that cut the
// successes of the last round trips were mostly from before the overload, so
// the estimate is too high; the 429s that follow for requests already in
// flight come with the server's real rate: the successes since the cut. It
// only ever lowers the limit, and at most to a quarter, so a few noisy
// samples cannot stall the sweep.
func (a *adaptiveRate) refine(now time.Time) {
	since := now.Sub(a.lastCut)
	if !a.discovering || since < 2*slotWidth {
		return
	}
	okSince := func(s slot) int { return s.ok }
	if a.win.count(now, since, okSince) < minRefineSamples {
		return
	}
	est := a.win.rate(now, since, okSince)
	next := max(beta*est, a.limit/4, minRate)
	if next >= a.limit {
		return
	}
	a.log.Debug("request rate refined after a 429", "from", a.limit, "to", next, "achieved", est)
	a.set(now, next)
	a.ceiling = max(est, minRate)
}

// grow raises the limit while it is what holds the sweep back.
func (a *adaptiveRate) grow(now time.Time) {
	dt := now.Sub(a.lastGrow)
	if dt < growStep || math.IsInf(a.limit, 1) {
		return
	}
	a.lastGrow = now
	sent := a.win.rate(now, time.Second, func(s slot) int { return s.sent })
	if sent < 0.8*a.limit {
		return
	}
	// After idle time, grow as for one second at most.
	s := min(dt, time.Second).Seconds()
	var next float64
	switch {
	case a.ceiling == 0:
		next = a.limit * math.Pow(2, s)
	case a.limit < a.ceiling:
		gap := a.ceiling - a.limit
		next = a.limit + max(gap*(1-math.Pow(0.25, s)), 0.02*a.ceiling*s)
	default:
		if a.aboveSince.IsZero() {
			a.aboveSince = now
		}
		tau := now.Sub(a.aboveSince).Seconds() + s
		next = a.limit + probeFactor*a.ceiling*s*math.Exp2(tau)
		if next > 2*a.ceiling {
			a.ceiling = 0
			a.aboveSince = time.Time{}
		}
	}
	a.set(now, next)
}

func (a *adaptiveRate) set(now time.Time, limit float64) {
	a.limit = limit
	a.unlimited.Store(math.IsInf(limit, 1))
	a.lim.SetLimitAt(now, rate.Limit(limit))
	a.lim.SetBurstAt(now, burstFor(limit))
}

// current returns the limit in requests/s, 0 when unlimited.
func (a *adaptiveRate) current() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if math.IsInf(a.limit, 1) {
		return 0
	}
	return a.limit
}

// slot counts events in one slotWidth of time.
type slot struct {
	idx                 int64 // slot number since window start
	sent, ok, throttled int
}

// window is a ring of slots covering the last second.
type window struct {
	start time.Time
	slots [nSlots]slot
}

func (w *window) index(now time.Time) int64 {
	return int64(now.Sub(w.start) / slotWidth)
}

// add applies f to the slot of now, recycling a stale slot.
func (w *window) add(now time.Time, f func(*slot)) {
	i := w.index(now)
	s := &w.slots[i%nSlots]
	if s.idx != i {
		*s = slot{idx: i}
	}
	f(s)
}

// count sums count over the slots of the last span.
func (w *window) count(now time.Time, span time.Duration, count func(slot) int) int {
	i := w.index(now)
	n := int64(span / slotWidth)
	total := 0
	for _, s := range w.slots {
		if s.idx <= i && s.idx > i-n {
			total += count(s)
		}
	}
	return total
}

// rate returns the per-second rate of count over the last span (whole
// slots, including the current partial one), over the time elapsed since the
// window started if that is shorter.
func (w *window) rate(now time.Time, span time.Duration, count func(slot) int) float64 {
	i := w.index(now)
	n := int64(span / slotWidth)
	total := w.count(now, span, count)
	elapsed := min(time.Duration(n)*slotWidth, now.Sub(w.start))
	// The current slot is only partly over: count the covered time exactly.
	elapsed = min(elapsed, time.Duration(n-1)*slotWidth+now.Sub(w.start)-time.Duration(i)*slotWidth)
	if elapsed <= 0 {
		return 0
	}
	return float64(total) / elapsed.Seconds()
}
