package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Schedule says when the next sweep is due; robfig/cron's parsed schedules
// satisfy it. Keeping the loop behind this interface and a Clock lets the
// tests drive the scheduler without sleeping.
type Schedule interface {
	Next(time.Time) time.Time
}

// Clock is the time source of the scheduler.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns the current time.
func (RealClock) Now() time.Time { return time.Now() }

// After waits for d on a real timer.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// ServeOptions configure the built-in scheduler.
type ServeOptions struct {
	Schedule Schedule
	Clock    Clock // [RealClock]
	Logger   *slog.Logger
	// Sweep runs one sweep; its context is cancelled when Serve stops.
	Sweep func(ctx context.Context) error
	// RunAtStart runs a first sweep as Serve starts, before the schedule's
	// first tick (serve --now): a new installation shows its first report,
	// health and metrics without waiting for the night.
	RunAtStart bool
	// Next, when set, is told when each next sweep is due (the metrics'
	// next run time).
	Next func(time.Time)
}

// Serve runs Sweep at every tick of Schedule until ctx is cancelled. Sweeps
// never overlap: a tick that comes while a sweep still runs is skipped and
// logged (the overrunning sweep is not disturbed). A panicking sweep is
// recovered and logged, and the next tick runs as usual. When ctx ends, the
// running sweep's context is cancelled and Serve waits for it to return, so
// the sweep can mark its run interrupted before the process exits.
//
// The loop is mcawatch's own rather than cron.Cron's runner: the runner
// cannot take an injected clock, and owning the loop makes overlap, panic
// recovery and a clean stop explicit instead of a matter of chain order.
func Serve(ctx context.Context, opts ServeOptions) error {
	if opts.Schedule == nil || opts.Sweep == nil {
		return fmt.Errorf("serve: schedule and sweep are required")
	}
	clock := opts.Clock
	if clock == nil {
		clock = RealClock{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	sweepCtx, cancelSweeps := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSweeps()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		running bool
		since   time.Time
	)
	// start runs one sweep unless one is still running, which it logs.
	start := func(tick time.Time) {
		mu.Lock()
		busy, busySince := running, since
		if !busy {
			running, since = true, clock.Now()
		}
		mu.Unlock()
		if busy {
			log.Warn("sweep still running: tick skipped", "tick", tick.Format(time.RFC3339), "running_since", busySince.Format(time.RFC3339))
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				running = false
				mu.Unlock()
			}()
			defer func() {
				if p := recover(); p != nil {
					log.Error("sweep panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				}
			}()
			switch err := opts.Sweep(sweepCtx); {
			case err == nil:
			case sweepCtx.Err() != nil:
				// A shutdown, not a failure: the run is kept as
				// interrupted for --resume.
				log.Info("scheduled sweep stopped by shutdown", "err", err)
			default:
				log.Error("scheduled sweep failed", "err", err)
			}
		}()
	}
	if opts.RunAtStart {
		start(clock.Now())
	}
	for {
		now := clock.Now()
		next := opts.Schedule.Next(now)
		if next.IsZero() {
			cancelSweeps()
			wg.Wait()
			return fmt.Errorf("serve: the schedule has no next run after %s", now.Format(time.RFC3339))
		}
		if opts.Next != nil {
			opts.Next(next)
		}
		log.Info("next sweep scheduled", "at", next.Format(time.RFC3339), "in", next.Sub(now).Round(time.Second))
		select {
		case <-ctx.Done():
			log.Info("stopping: waiting for the running sweep to finish")
			cancelSweeps()
			wg.Wait()
			log.Info("stopped")
			return nil
		case <-clock.After(next.Sub(now)):
		}
		start(next)
	}
}
