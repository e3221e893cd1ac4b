package pctest

import (
	"container/heap"
	"net/http"
	"sync"
	"time"
)

// A held request waits for Faults.Latency (or, under FaultTimeout, for the
// client to give up). Go's timers are not precise enough for that: an idle
// runtime sleeps in epoll_wait, whose timeout is in whole milliseconds, so
// a 20 ms timer fires 0.5 ms late on average, up to 1 ms, and the timers
// that fire together release their requests in one burst. The server then
// added about L + 0.5 ms instead of L, which was 2–3% of a fan-out
// benchmark's ratio at L = 20 ms.
//
// Where the system offers a high-resolution alarm that the netpoller can
// wait on (a timerfd on Linux), holdClock releases the held requests from
// one queue ordered by deadline, with that alarm armed for the earliest:
// each request is released at its deadline plus the kernel's timer slack
// (about 50 µs), never before. Elsewhere, or if the alarm cannot be made,
// hold uses a time.Timer as before.

// hold waits d, or less if the client goes away or the server closes; it
// reports whether the whole d passed.
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	if s.clock != nil {
		if h, ok := s.clock.start(d); ok {
			select {
			case <-h.released:
				return true
			case <-r.Context().Done():
			case <-s.done:
			}
			s.clock.cancel(h)
			return false
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// heldRequest is one request waiting in a holdClock.
type heldRequest struct {
	deadline time.Duration // since the clock's base
	released chan struct{} // closed at the deadline
	index    int           // in the queue; -1 once out of it
}

// holdClock releases held requests at their deadlines; see the comment at
// the top of this file.
type holdClock struct {
	base  time.Time // origin of the deadlines (monotonic)
	alarm *alarm

	mu    sync.Mutex // guards the fields below
	queue holdQueue
	armed time.Duration // deadline the alarm is set for; 0 when not set
}

// newHoldClock starts a holdClock, or returns nil when the system has no
// alarm for it.
func newHoldClock() *holdClock {
	a, err := newAlarm()
	if err != nil {
		return nil
	}
	c := &holdClock{base: time.Now(), alarm: a}
	go c.run()
	return c
}

// start holds a request for d. ok is false when the alarm could not be
// set: the caller must wait some other way.
func (c *holdClock) start(d time.Duration) (h *heldRequest, ok bool) {
	h = &heldRequest{released: make(chan struct{})}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Since(c.base)
	h.deadline = now + d
	heap.Push(&c.queue, h)
	if !c.arm(now) {
		heap.Remove(&c.queue, h.index)
		return nil, false
	}
	return h, true
}

// cancel takes h out of the queue if it is still there.
func (c *holdClock) cancel(h *heldRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h.index >= 0 {
		heap.Remove(&c.queue, h.index)
	}
}

// close stops the clock. Requests still held are not released: the server
// releases them when it closes.
func (c *holdClock) close() { c.alarm.close() }

// run releases the requests whose deadline has passed each time the alarm
// goes off, and sets it for the next deadline.
func (c *holdClock) run() {
	for c.alarm.wait() == nil {
		c.mu.Lock()
		now := time.Since(c.base)
		for len(c.queue) > 0 && c.queue[0].deadline <= now {
			close(heap.Pop(&c.queue).(*heldRequest).released)
		}
		c.armed = 0
		c.arm(now)
		c.mu.Unlock()
	}
}

// arm sets the alarm for the earliest deadline unless it is set for that
// one or an earlier one already, and reports whether the alarm is set. The
// caller holds mu.
func (c *holdClock) arm(now time.Duration) bool {
	if len(c.queue) == 0 || c.armed != 0 && c.armed <= c.queue[0].deadline {
		return true
	}
	next := c.queue[0].deadline
	if err := c.alarm.set(max(next-now, time.Nanosecond)); err != nil {
		return false
	}
	c.armed = next
	return true
}

// holdQueue is a min-heap of held requests by deadline (container/heap).
type holdQueue []*heldRequest

func (q holdQueue) Len() int           { return len(q) }
func (q holdQueue) Less(i, j int) bool { return q[i].deadline < q[j].deadline }

func (q holdQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}

func (q *holdQueue) Push(x any) {
	h := x.(*heldRequest)
	h.index = len(*q)
	*q = append(*q, h)
}

func (q *holdQueue) Pop() any {
	old := *q
	h := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	h.index = -1
	return h
}
