package pctest

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestHoldClock(t *testing.T) {
	c := newHoldClock()
	if c == nil {
		t.Skip("no high-resolution alarm on this system: holds use time.Timer")
	}
	defer c.close()
	const n = 200
	type result struct {
		want, got time.Duration
		released  bool
	}
	results := make([]result, n)
	var cancelled []*heldRequest
	var wg sync.WaitGroup
	start := time.Now()
	for i, d := range rand.Perm(n) {
		d := time.Duration(d%40+1) * time.Millisecond / 2
		// The deadline is set after this, so it is no earlier.
		results[i].want = time.Since(start) + d
		h, ok := c.start(d)
		if !ok {
			t.Fatal("start() could not set the alarm")
		}
		if i%10 == 0 {
			// Every tenth request's client goes away: it must never be
			// released.
			c.cancel(h)
			cancelled = append(cancelled, h)
			continue
		}
		wg.Go(func() {
			select {
			case <-h.released:
				results[i].got, results[i].released = time.Since(start), true
			case <-time.After(5 * time.Second):
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		switch {
		case i%10 == 0:
		case !r.released:
			t.Errorf("hold %d (%v) was never released", i, r.want)
		case r.got < r.want:
			t.Errorf("hold %d released at %v, before its deadline %v", i, r.got, r.want)
		}
	}
	for _, h := range cancelled {
		select {
		case <-h.released:
			t.Errorf("a cancelled hold (deadline %v) was released", h.deadline)
		default:
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) != 0 {
		t.Fatalf("%d holds left in the queue, want none", len(c.queue))
	}
}
