package fetch

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Sweep asks every customer's agreements (and, for a customer with no
// acceptance of the Required type, its direct-sign status) with at most
// Options.Concurrency customers in flight, and calls fn with each customer's
// Result as soon as it completes, in completion order.
//
// fn is called from one goroutine at a time, so the caller can batch
// without locks. A customer's failure is recorded on its Result and the
// sweep goes on. Sweep stops early only when ctx ends, when fn returns an
// error, or on an auth failure that refreshing cannot fix
// (ErrUnauthorized, ErrMFARequired); it then returns that error, and
// customers cut off mid-flight get no Result.
func (c *Client) Sweep(ctx context.Context, customers []Customer, fn func(Result) error) error {
	start := time.Now()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	// One consumer goroutine serialises fn. The channel is unbuffered: a
	// slow fn holds the workers back instead of piling results up.
	results := make(chan Result)
	fnErr := make(chan error, 1)
	go func() {
		var err error
		for r := range results {
			if err != nil {
				continue
			}
			if err = fn(r); err != nil {
				cancel(err)
			}
		}
		fnErr <- err
	}()

	// errgroup.WithContext would cancel the sweep on any worker error; only
	// fatal auth errors are returned from a worker, a customer's own failure
	// travels on its Result.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.concurrency)
	done := 0
	for _, cu := range customers {
		// Go blocks while Concurrency workers run, even after cancellation:
		// check before each customer.
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			r := c.sweepOne(gctx, cu)
			if isFatal(r.Err) {
				return r.Err
			}
			if gctx.Err() != nil {
				return nil
			}
			select {
			case results <- r:
				return nil
			case <-gctx.Done():
				return nil
			}
		})
		done++
	}
	werr := g.Wait()
	close(results)
	ferr := <-fnErr

	stats := c.Stats()
	c.log.Debug("sweep finished", "customers", len(customers), "started", done,
		"duration", time.Since(start).Round(time.Millisecond), "requests", stats.Requests,
		"throttled", stats.Throttled, "retries", stats.Retries, "rate", stats.Rate)
	switch {
	case ferr != nil:
		return ferr
	case werr != nil:
		return werr
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
	for _, a := range ags {
		if strings.EqualFold(a.Type, c.required) {
			return r
		}
	}
	signed, err := c.directSigned(ctx, cu.ID, &r.Attempts)
	if err != nil {
		r.Err = err
		return r
	}
	r.DirectSigned = &signed
	return r
}

// isFatal reports whether err ends a sweep: no other customer can succeed.
func isFatal(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrMFARequired)
}
