package pctest

import (
	"log/slog"
	"time"
)

// Defaults used for zero Options fields.
const (
	DefaultCustomers    = 500
	DefaultSeed         = 1
	DefaultToken        = "pctest-token"
	DefaultPageSize     = 100
	DefaultClientID     = "pctest-client"
	DefaultClientSecret = "pctest-secret"
)

// DefaultStart is the "today" of a generated portfolio when Options.Start is zero.
var DefaultStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Options configure a Server. Zero values give the defaults in brackets.
type Options struct {
	Customers    int       // portfolio size [500]; a negative value gives an empty portfolio
	Seed         int64     // portfolio and fault randomness [1]
	Token        string    // the static bearer token accepted ["pctest-token"]
	PageSize     int       // max items per customers page; the client's size=N is capped by it [100]
	Start        time.Time // "today" of the generated portfolio's dates [2026-11-01 UTC]
	ClientID     string    // client_id the token endpoint accepts ["pctest-client"]
	ClientSecret string    // client_secret the token endpoint accepts ["pctest-secret"]
	// Resellers makes the server an indirect provider with this many
	// indirect resellers, the customers spread across them (see doc.go,
	// Indirect providers) [0: a direct partner, no resellers]. The
	// customers themselves are the same whatever its value.
	Resellers int
	// Logger receives the HTTP server's own error messages [discarded].
	Logger *slog.Logger
}

// withDefaults returns o with every zero field replaced by its default.
func (o Options) withDefaults() Options {
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	if o.Customers < 0 {
		o.Customers = 0
	}
	if o.Resellers < 0 {
		o.Resellers = 0
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Token == "" {
		o.Token = DefaultToken
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.Start.IsZero() {
		o.Start = DefaultStart
	}
	o.Start = o.Start.UTC()
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
