package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Channel is one place a message goes: a webhook or an email.
type Channel interface {
	// Name says which channel this is without any secret in it, e.g.
	// "teams webhook #1" or "email to compliance@example.com".
	Name() string
	// Deliver makes one attempt to deliver m. Its error never holds a
	// secret; Send decides from it whether to try again.
	Deliver(ctx context.Context, m Message) error
}

// Outcome is what became of one channel.
type Outcome struct {
	Channel  string // the channel's Name: safe to log, print and store
	Err      error  // nil when the message was delivered; never holds a secret
	Attempts int    // attempts made, 1 to Sender.Attempts
}

// OK reports whether the message was delivered.
func (o Outcome) OK() bool { return o.Err == nil }

// Sender delivers messages with retries. Its zero value is ready to use:
// three attempts a channel, waiting 2 s then 4 s between them, or what a
// receiver's Retry-After asks up to 2 minutes.
type Sender struct {
	Attempts      int                                              // attempts a channel; 0 means 3
	Backoff       time.Duration                                    // wait before the second attempt, doubled after; 0 means 2 s
	MaxRetryAfter time.Duration                                    // the longest Retry-After honoured; a longer one ends the retries; 0 means 2 min
	Sleep         func(ctx context.Context, d time.Duration) error // waits between attempts; nil: a timer that honours ctx
	Now           func() time.Time                                 // reads Retry-After dates and stamps test messages; nil: time.Now
	Logger        *slog.Logger                                     // failed attempts are logged here; nil: not logged
}

// Send delivers m to every channel at once and returns one Outcome per
// channel, in the order of channels. A channel that fails, hangs until ctx
// ends, or panics affects only its own Outcome.
func Send(ctx context.Context, channels []Channel, m Message) []Outcome {
	var s Sender
	return s.Send(ctx, channels, m)
}

// Test sends the test message (TestMessage) to every channel: what
// `mcawatch notify --test` does.
func Test(ctx context.Context, channels []Channel) []Outcome {
	var s Sender
	return s.Test(ctx, channels)
}

// Test sends the test message to every channel.
func (s *Sender) Test(ctx context.Context, channels []Channel) []Outcome {
	return s.Send(ctx, channels, TestMessage(s.now()))
}

// Send delivers m to every channel at once; see the package function Send.
func (s *Sender) Send(ctx context.Context, channels []Channel, m Message) []Outcome {
	out := make([]Outcome, len(channels))
	var wg sync.WaitGroup
	for i, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.deliver(ctx, ch, m)
		}()
	}
	wg.Wait()
	return out
}

// deliver tries one channel up to s.Attempts times.
func (s *Sender) deliver(ctx context.Context, ch Channel, m Message) (o Outcome) {
	o.Channel = channelName(ch)
	attempts := s.Attempts
	if attempts <= 0 {
		attempts = 3
	}
	backoff := s.Backoff
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	maxRetryAfter := s.MaxRetryAfter
	if maxRetryAfter <= 0 {
		maxRetryAfter = 2 * time.Minute
	}
	for o.Attempts < attempts {
		o.Attempts++
		o.Err = safeDeliver(ctx, ch, m)
		if o.Err == nil {
			return o
		}
		if s.Logger != nil {
			s.Logger.Warn("notification attempt failed", "channel", o.Channel, "attempt", o.Attempts, "err", o.Err.Error())
		}
		var de *deliveryError
		if errors.As(o.Err, &de) && de.permanent {
			return o
		}
		if ctx.Err() != nil || o.Attempts == attempts {
			return o
		}
		wait := backoff << (o.Attempts - 1)
		if errors.As(o.Err, &de) {
			if d, ok := de.wait(s.now()); ok {
				if d > maxRetryAfter {
					o.Err = fmt.Errorf("%w (asked to retry after %s, longer than the %s allowed)", o.Err, d.Round(time.Second), maxRetryAfter)
					return o
				}
				wait = d
			}
		}
		if err := s.sleep(ctx, wait); err != nil {
			return o
		}
	}
	return o
}

// safeDeliver makes one attempt, turning a panic in a channel into that
// channel's error.
func safeDeliver(ctx context.Context, ch Channel, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &deliveryError{msg: fmt.Sprintf("%s: panic while delivering", channelName(ch)), permanent: true}
		}
	}()
	return ch.Deliver(ctx, m)
}

func channelName(ch Channel) (name string) {
	defer func() {
		if recover() != nil {
			name = "channel"
		}
	}()
	return ch.Name()
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliveryError is one failed attempt, described without secrets.
type deliveryError struct {
	msg        string
	permanent  bool          // trying again cannot help (a 4xx answer, a refused login)
	retryAfter time.Duration // the receiver's Retry-After in seconds, or 0
	retryAt    time.Time     // the receiver's Retry-After as a date, or zero
	cause      error         // context.Canceled or DeadlineExceeded, so errors.Is sees them; nil otherwise
}

func (e *deliveryError) Error() string { return e.msg }
func (e *deliveryError) Unwrap() error { return e.cause }

// wait is how long the receiver asked to wait, if it asked.
func (e *deliveryError) wait(now time.Time) (time.Duration, bool) {
	switch {
	case e.retryAfter > 0:
		return e.retryAfter, true
	case !e.retryAt.IsZero():
		return max(e.retryAt.Sub(now), 0), true
	}
	return 0, false
}
