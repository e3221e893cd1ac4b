package pctest

import (
	"math"
	"sync"
	"time"
)

// bucket is the partner tenant's token bucket: rate tokens a second, holding
// at most burst. It uses real time because clients measure real time too.
type bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// newBucket returns a full bucket for rate requests a second, with a burst of
// max(1, rate/10); rate <= 0 returns nil (no throttle).
func newBucket(rate float64, now time.Time) *bucket {
	if rate <= 0 {
		return nil
	}
	burst := math.Max(1, rate/10)
	return &bucket{rate: rate, burst: burst, tokens: burst, last: now}
}

// take consumes one token if there is one. Otherwise it reports how many
// whole seconds (at least 1) the caller should wait for the next token.
func (b *bucket) take(now time.Time) (ok bool, retryAfter int) {
	b.mu.Lock()
	defer b.mu.Unlock()
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
