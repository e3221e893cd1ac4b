package jobs

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestServe_RunAtStart_SweepsBeforeTheFirstTickAndTellsTheNextRun(t *testing.T) {
	start := time.Date(2026, 11, 22, 1, 59, 30, 0, time.UTC)
	clock := newFakeClock(start)
	started := make(chan int, 10)
	var (
		mu    sync.Mutex
		nexts []time.Time
		n     int
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{
			Schedule:   everyMinute{},
			Clock:      clock,
			RunAtStart: true,
			Next: func(at time.Time) {
				mu.Lock()
				nexts = append(nexts, at)
				mu.Unlock()
			},
			Sweep: func(context.Context) error {
				mu.Lock()
				n++
				started <- n
				mu.Unlock()
				return nil
			},
		})
	}()
	select {
	case got := <-started:
		if got != 1 {
			t.Fatalf("sweep %d started first", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no sweep at start: serve --now waited for the schedule")
	}
	waitArmed(t, clock)
	if got := clock.Now(); !got.Equal(start) {
		t.Fatalf("the first sweep ran at %s, want at start %s without the clock moving", got, start)
	}
	tickUntilStarted(t, clock, started, 2)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve() = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not stop")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(nexts) < 2 || !nexts[0].Equal(start.Truncate(time.Minute).Add(time.Minute)) {
		t.Fatalf("Next was told %v, want the coming minute first", nexts)
	}
}
