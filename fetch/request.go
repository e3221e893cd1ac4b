package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// call is one logical GET: a path below the base URL, extra headers, and a
// decoder for the 2xx body. Its retries share one MS-RequestId.
type call struct {
	path     string      // e.g. "/v1/customers?size=500"; logged, never holds a secret
	header   http.Header // extra headers (continuation tokens)
	decode   func(status int, body []byte) error
	attempts *int // incremented for every HTTP request; may be nil
}

// outcome is what one HTTP attempt produced.
type outcome struct {
	err        error
	status     int           // 0 when no answer came
	retryable  bool          // a retry may succeed
	retryAfter time.Duration // from Retry-After, on any status; 0 when absent
	token      string        // the access token used
}

// get runs cl with retries, token refresh and the adaptive rate.
func (c *Client) get(ctx context.Context, cl call) error {
	requestID := uuid.NewString()
	refreshed := false
	throttles, failures := 0, 0
	for {
		if err := c.rate.wait(ctx, failures > 0 || refreshed); err != nil {
			return err
		}
		o := c.attempt(ctx, cl, requestID)
		c.rate.release()
		if o.err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if o.status == http.StatusUnauthorized {
			var apiErr *APIError
			if errors.As(o.err, &apiErr) && apiErr.Code == "900421" {
				return fmt.Errorf("%w: %w", ErrMFARequired, o.err)
			}
			if refreshed {
				return fmt.Errorf("%w: %w", ErrUnauthorized, o.err)
			}
			refreshed = true
			c.token.Invalidate(o.token)
			c.retries.Add(1)
			c.log.Debug("token refused, refreshing once", "path", cl.path, "request_id", requestID)
			continue
		}
		failures++
		if !o.retryable || failures >= c.maxAttempts {
			return o.err
		}
		wait := c.retryWait(o, &throttles, failures)
		c.retries.Add(1)
		c.log.Debug("retrying", "path", cl.path, "request_id", requestID,
			"status", o.status, "attempt", failures+1, "wait", wait, "error", o.err)
		if err := c.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// attempt sends one HTTP request and classifies the answer.
func (c *Client) attempt(ctx context.Context, cl call, requestID string) outcome {
	tok, err := c.token.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{err: ctx.Err()}
		}
		// A refusal is ErrUnauthorized already; any other failure to get
		// a token (the token endpoint kept failing) is ErrNoToken, which
		// stops a sweep too but is no authentication failure.
		if errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNoToken) {
			return outcome{err: err}
		}
		return outcome{err: fmt.Errorf("%w: %w", ErrNoToken, err)}
	}
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, c.base+cl.path, nil)
	if err != nil {
		return outcome{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header = c.header(tok, requestID, cl.header)

	c.requests.Add(1)
	if cl.attempts != nil {
		*cl.attempts++
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		c.rate.observe(noAnswer, start, 0)
		if ctx.Err() != nil {
			return outcome{err: ctx.Err(), token: tok}
		}
		if re := (*RedirectError)(nil); errors.As(err, &re) {
			return outcome{err: re, token: tok}
		}
		return outcome{err: classifyTransport(err), retryable: true, token: tok}
	}
	body, rerr := readLimited(resp.Body, resp.ContentLength, c.maxBody)
	resp.Body.Close()
	isThrottled := resp.StatusCode == http.StatusTooManyRequests
	switch {
	case isThrottled:
		c.throttled.Add(1)
		c.rate.observe(throttled, start, parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	case rerr != nil:
		c.rate.observe(noAnswer, start, 0)
	default:
		c.rate.observe(answered, start, 0)
	}
	o := outcome{status: resp.StatusCode, token: tok}
	switch {
	case errors.Is(rerr, errBodyTooLarge):
		o.err = newBodyError(resp.StatusCode, body, rerr, false)
		return o
	case rerr != nil:
		if ctx.Err() != nil {
			o.err = ctx.Err()
			return o
		}
		o.err = newBodyError(resp.StatusCode, body, classifyTransport(rerr), true)
		o.retryable = true
		return o
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		o.err = cl.decode(resp.StatusCode, body)
		var be *BodyError
		o.retryable = errors.As(o.err, &be) && be.truncated
		return o
	}
	o.err = parseAPIError(resp.StatusCode, body, requestID)
	var apiErr *APIError
	if errors.As(o.err, &apiErr) {
		o.retryable = apiErr.Retryable
	} else {
		o.retryable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	}
	// Retry-After counts on every status that carries it (503 as much as
	// 429), not only on throttling.
	o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return o
}

// retryWait is the wait before retrying after o, the failures-th failure
// of one request; throttles counts its 429 answers and answers with a
// Retry-After. The server's Retry-After (capped at maxRetryAfter) is
// waited as asked the first time; if the server asks again, exponential
// backoff is added so the retries of many workers spread. Without one, a
// 429 backs off by its own count and any other failure by the failures.
func (c *Client) retryWait(o outcome, throttles *int, failures int) time.Duration {
	if o.status != http.StatusTooManyRequests && o.retryAfter == 0 {
		return c.backoff(failures)
	}
	*throttles++
	switch {
	case o.retryAfter == 0:
		return c.backoff(*throttles)
	case *throttles == 1:
		return o.retryAfter
	default:
		return o.retryAfter + c.backoff(*throttles-1)
	}
}

// The names of the headers every request carries, in the canonical form
// http.Header.Set would store them under (the bytes on the wire are the
// same). Filling the map with them directly skips the canonicalisation,
// which allocates a new string per call for names net/http does not know.
const (
	headerAuthorization = "Authorization"
	headerAccept        = "Accept"
	headerRequestID     = "Ms-Requestid"
	headerCorrelationID = "Ms-Correlationid"
	headerLocale        = "X-Locale"
	headerApplication   = "Ms-Partnercenter-Application"
)

// header returns the headers of one request: extra (continuation tokens)
// and the ones every request carries, which win over extra.
func (c *Client) header(tok, requestID string, extra http.Header) http.Header {
	// One backing array for the six values instead of a slice each; every
	// value keeps its own capacity-1 slice, so an append by a wrapping
	// RoundTripper cannot reach its neighbour.
	vals := [...]string{c.authorization(tok), "application/json", requestID, c.correlation, c.locale, c.app}
	h := make(http.Header, len(vals)+len(extra))
	for k, vs := range extra {
		h[k] = vs
	}
	h[headerAuthorization] = vals[0:1:1]
	h[headerAccept] = vals[1:2:2]
	h[headerRequestID] = vals[2:3:3]
	h[headerCorrelationID] = vals[3:4:4]
	h[headerLocale] = vals[4:5:5]
	h[headerApplication] = vals[5:6:6]
	return h
}

// bearer is an access token and its Authorization header value.
type bearer struct{ token, value string }

// authorization returns "Bearer "+tok, built once per token rather than
// once per request.
func (c *Client) authorization(tok string) string {
	if b := c.bearer.Load(); b != nil && b.token == tok {
		return b.value
	}
	b := &bearer{token: tok, value: "Bearer " + tok}
	c.bearer.Store(b)
	return b.value
}

// presizeMax bounds the buffer readLimited allocates on the strength of a
// Content-Length alone, before any byte arrived.
const presizeMax = 64 << 10

// readLimited reads at most limit bytes; a longer body is errBodyTooLarge.
// size is the announced length (-1 when unknown): a body of up to
// presizeMax bytes is read into one allocation of the right size instead of
// a growing buffer.
func readLimited(r io.Reader, size, limit int64) ([]byte, error) {
	capacity := int64(512)
	if size >= 0 && size <= min(limit, presizeMax) {
		// One byte more, for the read that finds the end of the body.
		capacity = size + 1
	}
	lr := io.LimitedReader{R: r, N: limit + 1}
	body := make([]byte, 0, capacity)
	for {
		n, err := lr.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return body, err
		}
		if len(body) == cap(body) {
			// Let append pick the growth, as io.ReadAll does.
			body = append(body, 0)[:len(body)]
		}
	}
	if int64(len(body)) > limit {
		return body[:limit], errBodyTooLarge
	}
	return body, nil
}
