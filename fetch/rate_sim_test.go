package fetch

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The simulation drives the real adaptiveRate through admit, observe and
// release in virtual time: a server throttle (token bucket or sliding
// window) that answers after a latency (fixed, or with a few milliseconds of
// random noise as a loaded machine's scheduling adds), and Concurrency workers that,
// like Client.get, retry a 429 after its Retry-After (plus backoff from the
// second 429 on). No real time passes, so a minute-long sweep at 5
// requests a second takes milliseconds and every run is the same.

// simThrottle is a server throttle in virtual time.
type simThrottle interface {
	take(now time.Time) (ok bool, retryAfter time.Duration)
}

// simBucket is a token bucket; Retry-After is whole seconds until a token
// frees, at least 1, as pctest and Partner Center answer.
type simBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *simBucket) take(now time.Time) (bool, time.Duration) {
	if now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, wholeSeconds((1 - b.tokens) / b.rate)
}

// simWindow admits at most limit requests in any window.
type simWindow struct {
	limit  int
	window time.Duration
	times  []time.Time
}

func (w *simWindow) take(now time.Time) (bool, time.Duration) {
	for len(w.times) > 0 && !w.times[0].Add(w.window).After(now) {
		w.times = w.times[1:]
	}
	if len(w.times) < w.limit {
		w.times = append(w.times, now)
		return true, 0
	}
	return false, wholeSeconds(w.times[0].Add(w.window).Sub(now).Seconds())
}

func wholeSeconds(s float64) time.Duration {
	return time.Duration(max(1, math.Ceil(s))) * time.Second
}

// simOptions describe one simulated sweep.
type simOptions struct {
	rate        float64       // the throttle's requests/s
	burst       float64       // token bucket size; 0 with window set
	window      time.Duration // sliding window length; 0 for a token bucket
	latency     time.Duration // every answer, 200 or 429, comes this long after the request
	jitter      time.Duration // plus up to this much, at random (a loaded machine's scheduling)
	concurrency int
	requests    int     // answered requests the sweep needs
	initial     float64 // Options.InitialRate
	// change, when set, is called at each answer with the elapsed time
	// and may return a new throttle (the rate-change run).
	change func(elapsed time.Duration) simThrottle
}

// simResult is what a simulated sweep measured.
type simResult struct {
	elapsed   time.Duration
	served    int
	throttled int
	settled   float64
	// perSecond counts served answers per second of virtual time, and
	// limits is the controller's limit at the end of each second.
	perSecond []int
	limits    []float64
}

// ratio is the sweep time ÷ (answered requests ÷ min(R, C/L)).
func (r simResult) ratio(o simOptions) float64 {
	ideal := o.rate
	if o.latency > 0 {
		ideal = math.Min(o.rate, float64(o.concurrency)/o.latency.Seconds())
	}
	return r.elapsed.Seconds() / (float64(r.served) / ideal)
}

func (r simResult) share429() float64 {
	return float64(r.throttled) / float64(r.served+r.throttled)
}

func newSimThrottle(o simOptions, now time.Time) simThrottle {
	if o.window > 0 {
		return &simWindow{limit: int(math.Round(o.rate * o.window.Seconds())), window: o.window}
	}
	return &simBucket{rate: o.rate, burst: o.burst, tokens: o.burst, last: now}
}

// simEvent is a worker's next step: ask the controller (answer false; a
// retry after a 429 when retry is set) or receive an answer to the request
// it sent at sent.
type simEvent struct {
	at     time.Time
	seq    int
	worker int
	answer bool
	retry  bool
	sent   time.Time
}

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simulate runs one sweep of o in virtual time and returns what it measured.
func simulate(t testing.TB, o simOptions) simResult {
	t.Helper()
	clk := newFakeClock()
	start := clk.now()
	a := newAdaptiveRate(o.initial, clk.now, discard)
	srv := newSimThrottle(o, start)
	rng := rand.New(rand.NewPCG(1, 2))
	noise := rand.New(rand.NewPCG(3, 4))

	var (
		q         simQueue
		seq       int
		blocked   []simEvent
		res       simResult
		next      int                          // logical requests handed out
		throttles = make([]int, o.concurrency) // 429s of each worker's current request
	)
	push := func(e simEvent) {
		seq++
		e.seq = seq
		heap.Push(&q, e)
	}
	for w := range o.concurrency {
		if next < o.requests {
			next++
			push(simEvent{at: start, worker: w})
		}
	}
	// Virtual time never needs more than this; a controller that stalls
	// fails the test instead of looping.
	deadline := start.Add(time.Hour)
	for q.Len() > 0 {
		e := heap.Pop(&q).(simEvent)
		if e.at.After(deadline) {
			t.Fatalf("simulated sweep %+v still running after an hour of virtual time: %d served", o, res.served)
		}
		clk.t = e.at
		if !e.answer {
			switch d := simAdmit(a, e.at, e.retry); {
			case d == 0:
				l := o.latency
				if o.jitter > 0 {
					l += time.Duration(noise.Int64N(int64(o.jitter)))
				}
				push(simEvent{at: e.at.Add(l), worker: e.worker, answer: true, sent: e.at})
			case d == untilAnswer:
				blocked = append(blocked, e)
			default:
				push(simEvent{at: e.at.Add(d), worker: e.worker, retry: e.retry})
			}
			continue
		}
		elapsed := e.at.Sub(start)
		if o.change != nil {
			if s := o.change(elapsed); s != nil {
				srv = s
			}
		}
		ok, retryAfter := srv.take(e.at)
		if ok {
			simObserve(a, answered, e.sent, 0)
		} else {
			simObserve(a, throttled, e.sent, retryAfter)
		}
		simRelease(a)
		for _, b := range blocked {
			push(simEvent{at: e.at, worker: b.worker, retry: b.retry})
		}
		blocked = blocked[:0]
		if !ok {
			res.throttled++
			throttles[e.worker]++
			wait := retryAfter
			if k := throttles[e.worker]; k > 1 {
				wait += time.Duration(rng.Int64N(int64(backoffBound(k-1)) + 1))
			}
			push(simEvent{at: e.at.Add(wait), worker: e.worker, retry: true})
			continue
		}
		res.served++
		sec := int(elapsed / time.Second)
		for len(res.perSecond) <= sec {
			res.perSecond = append(res.perSecond, 0)
			res.limits = append(res.limits, 0)
		}
		res.limits[sec] = a.limit
		res.perSecond[sec]++
		res.elapsed = elapsed
		throttles[e.worker] = 0
		if next < o.requests {
			next++
			push(simEvent{at: e.at, worker: e.worker})
		}
	}
	res.settled = a.settled()
	return res
}

// simAdmit, simObserve and simRelease are the controller's API as the
// simulation uses it.
func simAdmit(a *adaptiveRate, now time.Time, retry bool) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.admit(now, retry)
}

func simObserve(a *adaptiveRate, ans answer, sent time.Time, retryAfter time.Duration) {
	a.observe(ans, sent, retryAfter)
}

func simRelease(a *adaptiveRate) { a.release() }

// simRequests sizes a simulated sweep like a cell of `mcawatch bench
// --matrix`: about a minute of answered requests at min(R, C/L), at least 350.
func simRequests(rate float64, latency time.Duration, concurrency int) int {
	ideal := math.Min(rate, float64(concurrency)/latency.Seconds())
	return max(350, int(60*ideal))
}
