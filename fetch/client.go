package fetch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Defaults for zero Options fields.
const (
	DefaultBaseURL     = "https://api.partnercenter.microsoft.com"
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 6
	DefaultConcurrency = 16
	DefaultPageSize    = 500
	DefaultLocale      = "en-US"
	DefaultVersion     = "dev"
	// DefaultMaxBody bounds every response body read (16 MiB).
	DefaultMaxBody = 16 << 20
)

// TypeMCA is the Microsoft Customer Agreement's agreement type, the default
// tracked and required type.
const TypeMCA = "MicrosoftCustomerAgreement"

// Options configure a Client. Zero values give the defaults in brackets.
type Options struct {
	BaseURL       string        // [https://api.partnercenter.microsoft.com]; only https, or http on loopback
	Token         TokenSource   // required
	HTTPClient    *http.Client  // [a client with MaxIdleConnsPerHost ≥ Concurrency]; copied with a redirect guard (see guardRedirects)
	Timeout       time.Duration // per request [30s]
	MaxAttempts   int           // [6]
	Concurrency   int           // [16]
	PageSize      int           // customers page size [500]
	Locale        string        // [en-US]
	Version       string        // for MS-PartnerCenter-Application [dev]
	CorrelationID string        // [new GUID]
	Types         []string      // tracked agreement types [MicrosoftCustomerAgreement]
	Required      string        // [MicrosoftCustomerAgreement]; must be one of Types
	// CurrentSince is the cut-off of a current acceptance: a customer whose
	// records of the Required type are all dated before it (or undated) is
	// asked its direct-sign status, as is one with none. Zero turns the
	// check off: any record of the Required type is enough.
	CurrentSince time.Time
	// InitialRate is the request rate (per second) the server was found to
	// allow last time (a previous Client's SettledRate, stored with the run):
	// the adaptive limiter starts at it. 0 starts slowly and finds the rate
	// (see rate.go).
	InitialRate float64
	Logger      *slog.Logger // [discard]
}

// Client talks to Partner Center. It is safe for concurrent use; one Client
// is one sweep's worth of correlation id, rate controller and counters.
type Client struct {
	base        string // scheme://host[:port], no trailing slash
	token       TokenSource
	http        *http.Client
	timeout     time.Duration
	maxAttempts int
	concurrency int
	pageSize    int
	locale      string
	app         string
	correlation string
	types       []string
	required    string
	since       time.Time
	log         *slog.Logger
	rate        *adaptiveRate

	// maxBody bounds every body read.
	maxBody int64
	// sleep waits d or until ctx ends; tests replace it to skip real waits.
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a random duration in [0, d]; tests may pin it.
	jitter func(d time.Duration) time.Duration

	requests, throttled, retries atomic.Int64
	// bearer caches the Authorization value of the current token.
	bearer atomic.Pointer[bearer]
}

// New checks opts and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.Token == nil {
		return nil, errors.New("fetch options: a token source is required")
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	base, err := checkBaseURL(base)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:        base,
		token:       opts.Token,
		http:        opts.HTTPClient,
		timeout:     orDefault(opts.Timeout, DefaultTimeout),
		maxAttempts: orDefault(opts.MaxAttempts, DefaultMaxAttempts),
		concurrency: orDefault(opts.Concurrency, DefaultConcurrency),
		pageSize:    orDefault(opts.PageSize, DefaultPageSize),
		locale:      orDefault(opts.Locale, DefaultLocale),
		app:         "mcawatch/" + orDefault(opts.Version, DefaultVersion),
		correlation: opts.CorrelationID,
		types:       slices.Clone(opts.Types),
		required:    CanonicalType(orDefault(opts.Required, TypeMCA)),
		since:       opts.CurrentSince.UTC(),
		log:         opts.Logger,
		maxBody:     DefaultMaxBody,
		sleep:       sleepCtx,
		jitter:      fullJitter,
	}
	if c.timeout < 0 || c.maxAttempts < 0 || c.concurrency < 0 || c.pageSize < 0 || opts.InitialRate < 0 || math.IsNaN(opts.InitialRate) {
		return nil, errors.New("fetch options: timeout, attempts, concurrency, page size and rate must not be negative")
	}
	if len(c.types) == 0 {
		c.types = []string{TypeMCA}
	}
	for i, t := range c.types {
		c.types[i] = CanonicalType(t)
	}
	if !slices.Contains(c.types, c.required) {
		return nil, fmt.Errorf("fetch options: required type %q is not among the tracked types %v", c.required, c.types)
	}
	if c.correlation == "" {
		c.correlation = uuid.NewString()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.http == nil {
		c.http = defaultHTTPClient(c.concurrency)
	}
	c.http = guardRedirects(c.http)
	c.rate = newAdaptiveRate(opts.InitialRate, time.Now, c.log)
	return c, nil
}

// CorrelationID is the MS-CorrelationId sent with every request of c.
func (c *Client) CorrelationID() string { return c.correlation }

// Stats returns c's cumulative counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:  c.requests.Load(),
		Throttled: c.throttled.Load(),
		Retries:   c.retries.Load(),
		Rate:      c.rate.current(),
	}
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// checkBaseURL accepts https, or http on a loopback host, and returns the
// URL without a trailing slash.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("fetch options: base url: %w", err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("fetch options: base url %q must be scheme://host[:port][/path]", raw)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("fetch options: base url %q: plain http is allowed only on loopback", raw)
		}
	default:
		return "", fmt.Errorf("fetch options: base url %q: scheme must be https", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultHTTPClient keeps enough idle connections for the fan-out, so a
// sweep does not reconnect on every request.
func defaultHTTPClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = max(concurrency, 16) * 2
	tr.MaxIdleConns = tr.MaxIdleConnsPerHost * 2
	tr.ResponseHeaderTimeout = 0
	return &http.Client{Transport: tr}
}
