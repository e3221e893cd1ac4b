package fetch

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff bounds: exponential from backoffBase, capped at backoffCap, with
// full jitter (a uniform wait in [0, bound]) so that many workers failing
// together do not retry together.
const (
	backoffBase = 200 * time.Millisecond
	backoffCap  = 30 * time.Second
	// maxRetryAfter bounds a server's Retry-After so a bogus value cannot
	// park a worker for hours; ctx still ends any wait sooner.
	maxRetryAfter = 5 * time.Minute
)

// backoff returns the wait before the retry following the n-th failure.
func (c *Client) backoff(n int) time.Duration {
	return c.jitter(backoffBound(n))
}

// backoffBound is the upper bound of the wait after the n-th failure.
func backoffBound(n int) time.Duration {
	if n >= 20 {
		return backoffCap
	}
	return min(backoffBase<<(n-1), backoffCap)
}

// fullJitter returns a uniform duration in [0, d].
func fullJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date; 0 when
// absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
