package pctest

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Fault is a kind of misbehaviour the server can inject.
type Fault string

// The injectable faults.
const (
	Fault500       Fault = "500"       // JSON error body, retryable
	Fault503       Fault = "503"       // JSON error body, retryable
	FaultReset     Fault = "reset"     // hijack and close the connection without answering
	FaultTimeout   Fault = "timeout"   // hold the request until the client gives up (at most 60 s), then 504
	FaultMalformed Fault = "malformed" // 200 with the broken JSON of seeds/004 (missing commas)
	FaultTruncated Fault = "truncated" // 200, Content-Length of the whole body but only half sent, then close
	Fault403       Fault = "403"       // JSON error {code, description, errorName, isRetryable:false}
	Fault404       Fault = "404"       // JSON error {code, description, errorName, isRetryable:false}
	Fault429       Fault = "429"       // 429 with Retry-After: 1 (counted as Throttled, not as a Fault)
)

// maxHold bounds how long FaultTimeout holds a request.
const maxHold = 60 * time.Second

// Faults configure the misbehaviour of the server. The zero value is a
// well-behaved server.
type Faults struct {
	Latency time.Duration // added to every API request
	// Throttle is the requests a second allowed for the partner tenant (token
	// bucket, burst = max(1, Throttle/10)); 0 = none. Over it → 429 with
	// {"code","description"} and Retry-After: whole seconds until a token frees (at least 1).
	Throttle  float64
	Rates     map[Fault]float64 // per agreements request, probability of that fault (seeded)
	Customers map[string]Fault  // this customer's agreements (and direct-sign) calls ALWAYS answer with this fault
	FailFirst map[string]int    // this customer's first K agreements calls answer 429 (Retry-After: 1), then normal
}

// faultState is the current Faults plus what they need at run time.
type faultState struct {
	mu        sync.RWMutex // guards every field
	f         Faults
	rateOrder []Fault        // Rates keys in a fixed order, so a roll maps to one fault
	failed    map[string]int // 429s already given per FailFirst customer
	bucket    *bucket        // nil when not throttled
}

// SetFaults replaces the fault settings; safe while serving. FailFirst counts
// start again from zero; the throttle bucket starts full when Throttle changes.
func (s *Server) SetFaults(f Faults) {
	f.Rates = maps.Clone(f.Rates)
	f.Customers = lowerKeys(f.Customers)
	f.FailFirst = lowerKeys(f.FailFirst)
	order := slices.Sorted(maps.Keys(f.Rates))
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.Throttle != fs.f.Throttle {
		fs.bucket = newBucket(f.Throttle, time.Now())
	}
	fs.f = f
	fs.rateOrder = order
	fs.failed = map[string]int{}
}

// current returns the configured per-request latency and the throttle bucket.
func (fs *faultState) current() (time.Duration, *bucket) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return fs.f.Latency, fs.bucket
}

// forCustomer returns the fault forced on every call for the customer, if any.
func (fs *faultState) forCustomer(id string) Fault {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return fs.f.Customers[id]
}

// forAgreements decides the fault of one agreements request for the
// customer: its forced fault, then its FailFirst 429s, then a roll of u
// (uniform in [0,1)) against Rates. "" means answer normally.
func (fs *faultState) forAgreements(id string, u float64) Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.f.Customers[id]; f != "" {
		return f
	}
	if n := fs.failed[id]; n < fs.f.FailFirst[id] {
		fs.failed[id] = n + 1
		return Fault429
	}
	acc := 0.0
	for _, f := range fs.rateOrder {
		acc += fs.f.Rates[f]
		if u < acc {
			return f
		}
	}
	return ""
}

// lowerKeys copies m with lower-cased keys, since customer ids are lower-case GUIDs.
func lowerKeys[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[lowerASCII(k)] = v
	}
	return out
}
