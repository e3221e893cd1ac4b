package fetch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Sweep asks every customer's agreements (and, for a customer with no
// current acceptance of the Required type, its direct-sign status) with at most
// Options.Concurrency customers in flight, and calls fn with each customer's
// Result as soon as it completes, in completion order.
//
// fn is called from one goroutine at a time, so the caller can batch
// without locks. A customer's failure is recorded on its Result and the
// sweep goes on. Sweep stops early only when ctx ends, when fn returns an
// error, or on an auth failure that refreshing cannot fix
// (ErrUnauthorized, ErrMFARequired) or no token at all (ErrNoToken); it then returns that error, and
// customers cut off mid-flight get no Result.
func (c *Client) Sweep(ctx context.Context, customers []Customer, fn func(Result) error) error {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// Concurrency workers, started through an errgroup limited to
	// Concurrency, each take the next customer as soon as they finish one,
	// so Concurrency customers stay in flight without a goroutine (and its
	// stack growth) per customer or a hand-off through a dispatcher. A
	// worker returns an error only for an auth failure no customer can get
	// past; a customer's own failure travels on its Result.
	//
	// fn runs on the worker that finished the customer, under deliverMu: one
	// call at a time, no hand-off to a consumer goroutine on the way. A slow
	// fn holds the workers back (they queue on deliverMu) instead of letting
	// results pile up.
	var (
		next      atomic.Int64 // index of the next customer to start
		deliverMu sync.Mutex   // serialises fn; guards fnErr
		fnErr     error
	)
	deliver := func(r Result) {
		deliverMu.Lock()
		defer deliverMu.Unlock()
		if fnErr != nil || ctx.Err() != nil {
			return
		}
		if err := fn(r); err != nil {
			fnErr = err
			cancel(err)
		}
	}
	var g errgroup.Group
	g.SetLimit(c.concurrency)
	for range min(c.concurrency, len(customers)) {
		g.Go(func() error {
			// A context per worker: the per-request timeouts hang off it,
			// so they do not all register with (and contend on) the one
			// context every worker shares.
			wctx, wcancel := context.WithCancel(ctx)
			defer wcancel()
			// Check before each customer: none may start after
			// cancellation.
			for wctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(customers) {
					return nil
				}
				r := c.sweepOne(wctx, customers[i])
				if isFatal(r.Err) {
					cancel(r.Err)
					return r.Err
				}
				if wctx.Err() != nil {
					return nil
				}
				deliver(r)
			}
			return nil
		})
	}
	fatal := g.Wait()

	stats := c.Stats()
	c.log.Debug("sweep finished", "customers", len(customers), "started", min(int(next.Load()), len(customers)),
		"duration", time.Since(start).Round(time.Millisecond), "requests", stats.Requests,
		"throttled", stats.Throttled, "retries", stats.Retries, "rate", stats.Rate)
	switch {
	case fnErr != nil:
		return fnErr
	case fatal != nil:
		return fatal
	case ctx.Err() != nil:
		return context.Cause(ctx)
	}
	return nil
}

// sweepOne fetches one customer's Result.
func (c *Client) sweepOne(ctx context.Context, cu Customer) Result {
	r := Result{Customer: cu}
	ags, err := c.agreements(ctx, cu.ID, &r.Attempts)
	if err != nil {
		r.Err = err
		return r
	}
	r.Agreements = ags
	if c.hasCurrent(ags) {
		return r
	}
	signed, err := c.directSigned(ctx, cu.ID, &r.Attempts)
	if err != nil {
		r.Err = err
		return r
	}
	r.DirectSigned = &signed
	return r
}

// hasCurrent reports whether ags hold a current acceptance of the required
// type: one dated on or after Options.CurrentSince (any one, when that is
// zero). An undated record cannot prove the current agreement. Types are
// canonical already, so they compare exactly, as storage compares them.
func (c *Client) hasCurrent(ags []Agreement) bool {
	for _, a := range ags {
		if a.Type != c.required {
			continue
		}
		if c.since.IsZero() || !a.DateAgreed.IsZero() && !a.DateAgreed.Before(c.since) {
			return true
		}
	}
	return false
}

// isFatal reports whether err ends a sweep: no other customer can succeed.
func isFatal(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrMFARequired) || errors.Is(err, ErrNoToken)
}
