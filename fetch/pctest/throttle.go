package pctest

import (
	"math"
	"sync"
	"time"
)

// bucket is the partner tenant's throttle, in one of two shapes:
//
//   - a token bucket: rate tokens a second, holding at most burst, each
//     request taking one;
//   - a sliding window: at most limit requests in any window of time, which
//     is how Partner Center documents its limits ("500 requests a minute").
//
// It uses real time because clients measure real time too.
type bucket struct {
	mu sync.Mutex
	// token bucket
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	// sliding window (window > 0): the times of the accepted requests still
	// inside the window, oldest first, in a ring of limit entries.
	window time.Duration
	limit  int
	times  []time.Time
	head   int // index of the oldest
	n      int // entries in use
}

// newBucket returns the throttle f asks for: nil when f.Throttle <= 0 (no
// throttle); a sliding window of f.Throttle × f.ThrottleWindow requests when
// f.ThrottleWindow > 0; otherwise a full token bucket of f.Throttle requests a
// second with a burst of f.ThrottleBurst, max(1, f.Throttle/10) when that is 0.
func newBucket(f Faults, now time.Time) *bucket {
	if f.Throttle <= 0 {
		return nil
	}
	if f.ThrottleWindow > 0 {
		limit := max(1, int(math.Round(f.Throttle*f.ThrottleWindow.Seconds())))
		return &bucket{rate: f.Throttle, window: f.ThrottleWindow, limit: limit, times: make([]time.Time, limit)}
	}
	burst := f.ThrottleBurst
	if burst <= 0 {
		burst = math.Max(1, f.Throttle/10)
	}
	burst = math.Max(1, burst)
	return &bucket{rate: f.Throttle, burst: burst, tokens: burst, last: now}
}

// take admits one request if the throttle allows it. Otherwise it reports
// how many whole seconds (at least 1) the caller should wait until a request
// would be admitted.
func (b *bucket) take(now time.Time) (ok bool, retryAfter int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.window > 0 {
		return b.takeWindow(now)
	}
	if now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := (1 - b.tokens) / b.rate
	return false, max(1, int(math.Ceil(wait)))
}

// takeWindow is take for the sliding window.
func (b *bucket) takeWindow(now time.Time) (ok bool, retryAfter int) {
	for b.n > 0 && !b.times[b.head].Add(b.window).After(now) {
		b.head = (b.head + 1) % b.limit
		b.n--
	}
	if b.n < b.limit {
		b.times[(b.head+b.n)%b.limit] = now
		b.n++
		return true, 0
	}
	wait := b.times[b.head].Add(b.window).Sub(now)
	return false, max(1, int(math.Ceil(wait.Seconds())))
}
