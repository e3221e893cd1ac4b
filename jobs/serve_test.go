package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// everyMinute ticks at the start of each minute.
type everyMinute struct{}

func (everyMinute) Next(t time.Time) time.Time { return t.Truncate(time.Minute).Add(time.Minute) }

// syncBuffer is a log sink that tests read while the scheduler writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitArmed waits until the scheduler is waiting for its next tick.
func waitArmed(t *testing.T, c *fakeClock) {
	t.Helper()
	select {
	case <-c.armed:
	case <-time.After(10 * time.Second):
		t.Fatal("scheduler never waited for a tick")
	}
}

// tickUntilStarted advances the clock a minute at a time until sweep number
// want starts: a tick can come just before the previous sweep has marked
// itself finished, and is then rightly skipped.
func tickUntilStarted(t *testing.T, c *fakeClock, started <-chan int, want int) {
	t.Helper()
	for i := 0; i < 50; i++ {
		c.Advance(time.Minute)
		select {
		case n := <-started:
			if n != want {
				t.Fatalf("sweep %d started, want %d", n, want)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("sweep %d never started", want)
}

func TestServe_TickOverlapAndStop(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 22, 1, 59, 30, 0, time.UTC))
	logs := &syncBuffer{}
	started := make(chan int, 10)
	release := make(chan struct{})
	var sweeps, cancelled atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{
			Schedule: everyMinute{},
			Clock:    clock,
			Logger:   slog.New(slog.NewTextHandler(logs, nil)),
			Sweep: func(ctx context.Context) error {
				started <- int(sweeps.Add(1))
				select {
				case <-release:
				case <-ctx.Done():
					cancelled.Add(1)
				}
				return nil
			},
		})
	}()

	// The first tick runs a sweep.
	waitArmed(t, clock)
	clock.Advance(30 * time.Second)
	if n := <-started; n != 1 {
		t.Fatalf("sweep %d started, want 1", n)
	}
	// A tick while it still runs is skipped and logged.
	waitArmed(t, clock)
	clock.Advance(time.Minute)
	waitArmed(t, clock)
	if got := sweeps.Load(); got != 1 {
		t.Fatalf("sweeps = %d after an overlapping tick, want 1", got)
	}
	if !strings.Contains(logs.String(), "tick skipped") {
		t.Fatalf("no skipped-tick log line in:\n%s", logs)
	}
	// Once it finishes, the next tick runs again.
	release <- struct{}{}
	tickUntilStarted(t, clock, started, 2)
	// Stopping cancels the running sweep and waits for it.
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if got := cancelled.Load(); got != 1 {
		t.Fatalf("sweeps cancelled = %d, want 1", got)
	}
}

func TestServe_RecoversPanic(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC))
	logs := &syncBuffer{}
	var sweeps atomic.Int32
	started := make(chan int, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{
			Schedule: everyMinute{},
			Clock:    clock,
			Logger:   slog.New(slog.NewTextHandler(logs, nil)),
			Sweep: func(context.Context) error {
				n := int(sweeps.Add(1))
				started <- n
				if n == 1 {
					panic("boom")
				}
				return nil
			},
		})
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	waitArmed(t, clock)
	tickUntilStarted(t, clock, started, 1)
	tickUntilStarted(t, clock, started, 2)
	cancel()
	<-done
	if got := sweeps.Load(); got != 2 {
		t.Fatalf("sweeps = %d, want 2 (a panic must not stop the schedule)", got)
	}
	if !strings.Contains(logs.String(), "sweep panicked") {
		t.Fatalf("no panic log line in:\n%s", logs)
	}
}
