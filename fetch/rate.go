package fetch

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The adaptive rate discovers Partner Center's throttle instead of trusting
// a number: the agreements call's limit is not published, the limit is per
// partner tenant and shared with whatever else the partner runs, and users
// meet it anywhere from a few requests a second with answers taking half a
// second to a thousand a second. It paces all workers through one
// rate.Limiter and reads what the answers say:
//
//   - Little's law: at a rate r and round trip L about r·L requests are in
//     flight. Workers may hold at most twice that (plus two) outstanding, so
//     a server that slows down slows the sweep too instead of piling up
//     requests.
//   - A 429 says the limit is above what the server allows. A 429 for a
//     request sent before the last cut took effect (or so soon after that it
//     met the same overload at the server) is that overload answering late:
//     one signal, not many. Only a 429 for a request sent later cuts again.
//   - Retry-After says how long the server wants. The request that got it
//     waits it (request.go); one of 2 s or more (whole seconds, so the server
//     wants at least a second) is a window or a quota that refuses everyone
//     alike, so every worker pauses (but the retries, which waited it), and
//     the limit becomes what the server let through since the last pause
//     spread over that time and the wait.
//
// The limit grows only while it is what holds the sweep back (the limiter
// made a request wait lately), never when latency or the workers do.
//
// The controller is in one of three modes:
//
//   - start: nothing known. The limit is at least one request a round trip
//     (Little's law with one in flight) once an answer measured the round
//     trip, doubles every round trip while few requests are in flight, then
//     grows by a quarter a round trip. The
//     first 429 sets the limit to the rate of successful answers, or to half
//     the limit the refused request was sent at (the limit doubled since the
//     round trip before), whichever is higher, and moves to find.
//   - find: the rate is roughly known. The limit grows by findGain every
//     round trip, or every two requests at the limit if that is longer, so
//     the next 429 comes from a small overshoot; at it the limit drops to beta × the successful rate of the
//     last seconds, which becomes the ceiling, and the mode to hold. A token
//     bucket's burst makes the first estimate too high: the late 429s of
//     that overload refine it from the answers since the cut, which came at
//     the server's rate.
//   - hold: the server's rate (the ceiling) is measured. The limit comes
//     back to holdShare of it (the gap closes by 75% a second) and holds
//     there for holdTime, so that probing costs one 429 in about
//     holdRequests requests, a handful a minute. Then it probes above the
//     ceiling, from probeFactor of it a second, doubling every probeDouble,
//     so a server that doubled its rate is found within half a minute. A
//     probe's 429 raises the ceiling to just under the rate it was sent at,
//     unless the answers show the server's rate fell; a 429 while holding
//     says the ceiling is too high: it is measured again, or with too few
//     answers since the cut lowered by beta (or to what those few answers
//     say, at most by half). At twice the
//     ceiling without a 429 the ceiling is forgotten: back to find.
//
// The limit starts at Options.InitialRate (the rate a previous sweep settled
// at, taken as the ceiling) in hold, or at startRate in start.
const (
	beta         = 0.85                  // multiplicative decrease
	minRate      = 0.5                   // requests/s floor after cuts
	startRate    = 4.0                   // requests/s of a cold start
	maxRate      = 1e5                   // requests/s: the limit never grows past it
	slotWidth    = 10 * time.Millisecond // window granularity
	nSlots       = 1024                  // window ≈ 10 s
	growStep     = 10 * time.Millisecond // how often the limit may grow
	ssthresh     = 8.0                   // requests in flight from which start slows down
	startGain    = 0.25                  // and grows by this share a round trip
	findGain     = 0.10                  // find: growth a round trip
	findStep     = slotWidth             // find: the shortest round trip counted
	holdShare    = 0.98                  // the limit comes back to this share of the ceiling
	holdFor      = 6 * time.Second       // and stays there at least this long after a cut
	holdRequests = 60.0                  // or as long as this many requests take at the ceiling
	probeFactor  = 0.02                  // above the ceiling: share of the ceiling added per second, at first
	probeDouble  = 2 * time.Second       // the probe's speed doubles this often
	probeKeep    = 0.95                  // a probe's 429 puts the ceiling at this share of the rate it was sent at
	minSamples   = 6                     // successful answers needed to measure a rate
	minSpan      = time.Second           // shortest span to measure a rate over
	maxSpan      = 8 * time.Second       // longest
	limitHistory = 64                    // limits remembered, to know the one a request was sent at
	// longRetryAfter is the Retry-After from which every worker waits.
	longRetryAfter = 2 * time.Second
	// untilAnswer is admit's "wait for an answer": the in-flight bound holds.
	untilAnswer time.Duration = -1
)

// mode is what the controller knows of the server's rate.
type mode int

const (
	modeStart mode = iota // nothing
	modeFind              // roughly
	modeHold              // measured: the ceiling
)

// limitAt is the limit in force from a time on.
type limitAt struct {
	from  time.Time
	limit float64
}

// adaptiveRate is the shared request-rate controller.
type adaptiveRate struct {
	mu         sync.Mutex
	lim        *rate.Limiter
	now        func() time.Time
	mode       mode
	limit      float64   // requests/s
	ceiling    float64   // in hold: the server's measured rate
	lastCut    time.Time // when the last cut took effect; zero before any
	lastGrow   time.Time
	lastHeld   time.Time // when the limiter last made a request wait
	pauseUntil time.Time // no request goes before this (a long Retry-After)
	history    [limitHistory]limitAt
	nHistory   int
	// epoch and epochOK count the successful answers since the start or
	// the last pause, for the rate a long Retry-After implies.
	epoch   time.Time
	epochOK int
	// refining is set after the first cut of a start: refine may then
	// lower it.
	refining bool
	rtt      time.Duration
	inflight int
	// answered is closed and replaced when a request leaves the flight, to
	// wake a waiter held by the in-flight bound.
	answered chan struct{}
	// gate lets one waiter at a time wait for the limiter, so that a cut
	// reaches the very next request instead of requests already scheduled
	// at the old rate.
	gate chan struct{}
	win  window
	log  *slog.Logger
}

func newAdaptiveRate(initial float64, now func() time.Time, log *slog.Logger) *adaptiveRate {
	t := now()
	a := &adaptiveRate{now: now, limit: startRate, log: log, lastGrow: t, epoch: t,
		answered: make(chan struct{}), gate: make(chan struct{}, 1)}
	a.win.start = t
	a.lim = rate.NewLimiter(rate.Limit(startRate), 1)
	if initial > 0 {
		// The rate that worked last time: start at it, and probe above it
		// only after holdTime, as after a cut.
		a.mode = modeHold
		a.ceiling = initial
		a.lastCut = t
		a.set(t, initial)
	} else {
		a.set(t, startRate)
	}
	return a
}

// burstFor allows a few requests back to back (1/50 s worth) so timer
// granularity does not hold a high rate back, without letting idle time
// build a burst that trips the server's throttle.
func burstFor(limit float64) int {
	return max(1, int(limit/50))
}

// wait blocks until the controller admits one request or ctx ends. Every
// admitted request must be followed by one release. A retry is not held by
// a pause: it already waited what the server asked.
func (a *adaptiveRate) wait(ctx context.Context, retry bool) error {
	// Most requests at a rate the limiter allows go at once, without
	// queueing at the gate.
	a.mu.Lock()
	d := a.admit(a.now(), retry)
	a.mu.Unlock()
	if d == 0 {
		return nil
	}
	select {
	case a.gate <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-a.gate }()
	for {
		a.mu.Lock()
		d := a.admit(a.now(), retry)
		answered := a.answered
		a.mu.Unlock()
		switch {
		case d == 0:
			return nil
		case d == untilAnswer:
			select {
			case <-answered:
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
}

// admit lets one request (a retry when retry is set) go at now, counting
// it as sent and in flight, and returns 0; otherwise it returns how long to
// wait before asking again, or untilAnswer when only an answer can let it
// go. a.mu must be held.
func (a *adaptiveRate) admit(now time.Time, retry bool) time.Duration {
	if !retry && now.Before(a.pauseUntil) {
		return a.pauseUntil.Sub(now)
	}
	if a.inflight >= a.maxInFlight() {
		return untilAnswer
	}
	a.grow(now)
	if !a.lim.AllowN(now, 1) {
		a.lastHeld = now
		need := 1 - a.lim.TokensAt(now)
		d := max(time.Duration(need/a.limit*float64(time.Second)), time.Microsecond)
		if a.mode == modeStart {
			// The limit doubles every round trip: ask again soon rather
			// than wait out a token at a limit an answer is about to raise.
			d = min(d, growStep)
		}
		return d
	}
	a.inflight++
	return 0
}

// maxInFlight is Little's law with room to spare: twice the requests the
// limit keeps in flight at the measured round trip, plus two.
func (a *adaptiveRate) maxInFlight() int {
	if a.rtt == 0 {
		return math.MaxInt
	}
	return int(math.Ceil(2*a.limit*a.rtt.Seconds())) + 2
}

// release ends one admitted request's flight, whatever became of it.
func (a *adaptiveRate) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight = max(0, a.inflight-1)
	close(a.answered)
	a.answered = make(chan struct{})
}

// answer is what one request got, as the rate controller sees it.
type answer int

const (
	answered  answer = iota // any answer but 429
	throttled               // 429
	noAnswer                // transport failure: says nothing about the rate
)

// observe records the answer to a request sent at sent; retryAfter is the
// answer's Retry-After (0 when absent). A 429 may cut the limit.
func (a *adaptiveRate) observe(ans answer, sent time.Time, retryAfter time.Duration) {
	if ans == noAnswer {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	latency := max(now.Sub(sent), 0)
	if a.rtt == 0 {
		a.rtt = latency
	} else {
		a.rtt += (latency - a.rtt) / 8
	}
	if ans == answered {
		a.win.add(now, func(s *slot) { s.ok++ })
		a.epochOK++
		if a.mode == modeStart && a.limit*a.rtt.Seconds() < 1 {
			// Start with one request in flight at least (Little's law):
			// below that, each doubling waits for an answer, not a round
			// trip.
			a.set(now, min(1/a.rtt.Seconds(), maxRate))
		}
		return
	}
	switch {
	case retryAfter >= longRetryAfter && !sent.Before(a.pauseUntil):
		a.pause(now, retryAfter)
	case !a.lastCut.IsZero() && sent.Before(a.lastCut.Add(a.cutGrace())):
		// The same overload answering late: one signal, not many.
		a.refine(now)
	default:
		a.cut(now, sent)
	}
}

// cutGrace is how long after a cut a request may still meet the overload
// the cut answered: the requests sent before it reach the server during the
// next round trip, and the first ones at the new limit arrive among them.
func (a *adaptiveRate) cutGrace() time.Duration {
	return min(max(a.rtt, time.Duration(2/a.limit*float64(time.Second))), time.Second)
}

// pause holds every worker for a long Retry-After, less the second its
// rounding to whole seconds may add, and sets the limit to what the server
// let through since the last pause spread over that time and the wait.
func (a *adaptiveRate) pause(now time.Time, retryAfter time.Duration) {
	until := now.Add(retryAfter - time.Second)
	span := until.Sub(a.epoch).Seconds()
	next := max(float64(a.epochOK)/span, minRate)
	a.log.Debug("request rate paused for a Retry-After", "retry_after", retryAfter, "from", a.limit, "to", next)
	a.pauseUntil = until
	a.epoch, a.epochOK = until, 0
	a.refining = false
	a.mode = modeHold
	a.ceiling = next
	a.set(until, next)
	a.lastCut = until
	a.lastGrow = until
}

// okRate measures the rate of successful answers over the last span, long
// enough to hold minSamples of them when it can, never reaching back before
// from. n is the answers counted.
func (a *adaptiveRate) okRate(now, from time.Time) (r float64, n int) {
	span := max(4*a.rtt, minSpan)
	okSlot := func(s slot) int { return s.ok }
	for {
		if start := now.Add(-span); !from.IsZero() && start.Before(from) {
			span = max(now.Sub(from), 3*slotWidth)
		}
		n = a.win.count(now, span, okSlot)
		if n >= minSamples || span >= maxSpan || (!from.IsZero() && now.Sub(from) <= span) {
			return a.win.rate(now, span, okSlot), n
		}
		span = min(2*span, maxSpan)
	}
}

// cut lowers the limit after a 429 for a request sent at sent, after the
// last cut took effect.
func (a *adaptiveRate) cut(now, sent time.Time) {
	sentAt := a.limitAt(sent)
	from := now.Add(-max(2*a.rtt, minSpan/2)) // start: the last round trips
	switch a.mode {
	case modeFind:
		from = time.Time{} // the rate was near the server's: the last seconds
	case modeHold:
		from = a.lastCut // only what came at the limit since the last cut
	}
	if from.Before(a.epoch) {
		from = a.epoch
	}
	okRate, n := a.okRate(now, from)
	reliable := n >= minSamples
	probing := a.mode == modeHold && now.Sub(a.lastCut) >= a.holdTime() && a.limit >= holdShare*a.ceiling
	next, m, ceiling := beta*a.limit, modeFind, 0.0
	switch {
	case a.mode == modeStart:
		next = sentAt / 2
		if n >= 3 {
			next = max(next, okRate)
		}
		a.refining = true
	case probing && (!reliable || okRate >= beta*a.ceiling):
		// A probe above the ceiling found the server's rate below the
		// rate the refused request was sent at.
		ceiling = max(a.ceiling, probeKeep*sentAt)
		next, m = holdShare*ceiling, modeHold
	case reliable:
		next, m, ceiling = beta*min(okRate, a.limit), modeHold, okRate
	case a.mode == modeHold:
		// Refused while holding under the ceiling, too soon after the
		// last cut to measure well: the ceiling is too high, by what the
		// few answers since say (at most half), or by beta.
		ceiling = beta * min(a.ceiling, sentAt)
		if n >= 3 {
			ceiling = max(min(okRate, ceiling), a.ceiling/2)
		}
		next, m = holdShare*ceiling, modeHold
	}
	a.log.Debug("request rate cut after a 429", "from", a.limit, "to", max(next, minRate), "achieved", okRate, "answers", n, "probing", probing)
	if a.mode != modeStart {
		a.refining = false
	}
	a.mode = m
	a.ceiling = max(ceiling, minRate)
	a.set(now, max(next, minRate))
	a.lastCut = now
	a.lastGrow = now
}

// holdTime is how long the limit holds under the ceiling after a cut before
// it probes above: holdFor, or the time of holdRequests requests at the
// ceiling if longer, so that a probe's 429 is one in that many requests.
func (a *adaptiveRate) holdTime() time.Duration {
	return max(holdFor, time.Duration(holdRequests/a.ceiling*float64(time.Second)))
}

// refine sharpens the first cut of a start. At that cut the answers of the
// last round trips came mostly from before the overload (a token bucket's
// burst), so the estimate is too high; the answers since, which the late
// 429s come with, arrive at the server's rate. It only ever lowers the
// limit, at most to a quarter, so a few noisy samples cannot stall the
// sweep.
func (a *adaptiveRate) refine(now time.Time) {
	since := now.Sub(a.lastCut)
	if !a.refining || since < 3*slotWidth {
		return
	}
	okSince := func(s slot) int { return s.ok }
	n := a.win.count(now, since, okSince)
	if n < minSamples {
		return
	}
	est := a.win.rate(now, since, okSince)
	next := max(est, a.limit/4, minRate)
	if next >= a.limit {
		return
	}
	a.log.Debug("request rate refined after a 429", "from", a.limit, "to", next, "achieved", est)
	a.set(now, next)
}

// grow raises the limit while it is what holds the sweep back: the limiter
// made a request wait within the last round trips.
func (a *adaptiveRate) grow(now time.Time) {
	dt := now.Sub(a.lastGrow)
	if dt < growStep || a.rtt == 0 {
		// Before the first answer nothing is known.
		return
	}
	a.lastGrow = now
	if now.Sub(a.lastHeld) > max(2*a.rtt, 100*time.Millisecond, time.Duration(2/a.limit*float64(time.Second))) {
		return
	}
	// After idle time, grow as for one second at most.
	s := min(dt, time.Second).Seconds()
	var next float64
	switch {
	case a.mode == modeStart:
		// At most one round trip's growth at a time, however long since
		// the last: only answers tell that the last growth was fine.
		factor := 2.0
		if a.limit*a.rtt.Seconds() >= ssthresh {
			factor = 1 + startGain
		}
		next = a.limit * math.Pow(factor, min(s/max(a.rtt, slotWidth).Seconds(), 1))
	case a.mode == modeFind:
		// At least two requests a step, so that a 429 can answer it.
		step := max(a.rtt, findStep, time.Duration(2/a.limit*float64(time.Second)))
		next = a.limit * math.Pow(1+findGain, min(s/step.Seconds(), 1))
	case a.limit < holdShare*a.ceiling:
		gap := holdShare*a.ceiling - a.limit
		next = a.limit + max(gap*(1-math.Pow(0.25, s)), 0.02*a.ceiling*s)
		next = min(next, holdShare*a.ceiling)
	case now.Sub(a.lastCut) < a.holdTime():
		return
	default:
		tau := (now.Sub(a.lastCut) - a.holdTime()).Seconds()
		next = max(a.limit, holdShare*a.ceiling) + probeFactor*a.ceiling*s*math.Exp2(tau/probeDouble.Seconds())
		if next > 2*a.ceiling {
			a.mode = modeFind
		}
	}
	a.set(now, min(next, maxRate))
}

// set makes limit the limit from now on.
func (a *adaptiveRate) set(now time.Time, limit float64) {
	a.limit = limit
	a.lim.SetLimitAt(now, rate.Limit(limit))
	a.lim.SetBurstAt(now, burstFor(limit))
	a.history[a.nHistory%limitHistory] = limitAt{from: now, limit: limit}
	a.nHistory++
}

// limitAt returns the limit in force at t, as far as the history goes
// back (the oldest limit remembered before that).
func (a *adaptiveRate) limitAt(t time.Time) float64 {
	got := a.limit
	for i := a.nHistory - 1; i >= max(0, a.nHistory-limitHistory); i-- {
		h := a.history[i%limitHistory]
		got = h.limit
		if !h.from.After(t) {
			break
		}
	}
	return got
}

// current returns the limit in requests/s.
func (a *adaptiveRate) current() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit
}

// settled returns the rate the server was found to allow (the ceiling),
// 0 when no 429 ever measured one.
func (a *adaptiveRate) settled() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mode != modeHold {
		return 0
	}
	return a.ceiling
}

// SettledRate is the request rate, per second, the server was found to
// allow during c's sweeps: the rate of successful answers when it last
// answered 429. 0 means no 429 measured one. Store it with the run and pass
// it as the next sweep's Options.InitialRate, so that sweep starts at the
// rate that worked instead of finding it again.
func (c *Client) SettledRate() float64 { return c.rate.settled() }

// slot counts the successful answers of one slotWidth of time.
type slot struct {
	idx int64 // slot number since window start
	ok  int
}

// window is a ring of slots covering the last nSlots × slotWidth.
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
	n := min(int64(span/slotWidth), nSlots)
	total := 0
	for j := i; j > i-n && j >= 0; j-- {
		if s := w.slots[j%nSlots]; s.idx == j {
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
	n := min(int64(span/slotWidth), nSlots)
	total := w.count(now, span, count)
	elapsed := min(time.Duration(n)*slotWidth, now.Sub(w.start))
	// The current slot is only partly over: count the covered time exactly.
	elapsed = min(elapsed, time.Duration(n-1)*slotWidth+now.Sub(w.start)-time.Duration(i)*slotWidth)
	if elapsed <= 0 {
		return 0
	}
	return float64(total) / elapsed.Seconds()
}
