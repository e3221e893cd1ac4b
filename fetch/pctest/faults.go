package pctest

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"
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
	Latency time.Duration // added to every API request (on Linux to within ~50 µs, see hold.go)
	// Throttle is the requests a second allowed for the partner tenant (token
	// bucket, burst = ThrottleBurst); 0 = none. Over it → 429 with
	// the service's {"statusCode":429,"message"} body and Retry-After: whole seconds until a token frees (at least 1).
	Throttle float64
	// ThrottleBurst is the token bucket's size in requests [max(1, Throttle/10)].
	ThrottleBurst float64
	// ThrottleWindow, when positive, makes the throttle a sliding window
	// instead of a token bucket: at most Throttle × ThrottleWindow requests
	// in any ThrottleWindow (Partner Center documents its limits so: 500
	// requests a minute is Throttle 500/60.0, ThrottleWindow time.Minute).
	// Retry-After is then the whole seconds until the oldest request leaves
	// the window.
	ThrottleWindow time.Duration
	Rates          map[Fault]float64 // per agreements request, probability of that fault (seeded)
	Customers      map[string]Fault  // this customer's agreements (and direct-sign) calls ALWAYS answer with this fault
	FailFirst      map[string]int    // this customer's first K agreements calls answer 429 (Retry-After: 1), then normal
}

// faultState holds the current fault settings. Every API request reads
// them, so they are published as one immutable faultConfig behind an atomic
// pointer: requests never take a lock for them, and SetFaults swaps in a new
// config as a whole.
type faultState struct {
	mu  sync.Mutex // serialises SetFaults
	cur atomic.Pointer[faultConfig]
}

// faultConfig is one SetFaults call's settings plus what they need at run
// time. Only the FailFirst counts change after it is published.
type faultConfig struct {
	f         Faults
	rateOrder []Fault // Rates keys in a fixed order, so a roll maps to one fault
	bucket    *bucket // nil when not throttled

	failMu sync.Mutex     // guards failed
	failed map[string]int // 429s already given per FailFirst customer
}

// SetFaults replaces the fault settings; safe while serving. FailFirst counts
// start again from zero; the throttle starts afresh (a full bucket, an empty
// window) when Throttle or its shape changes.
func (s *Server) SetFaults(f Faults) {
	f.Rates = maps.Clone(f.Rates)
	f.Customers = lowerKeys(f.Customers)
	f.FailFirst = lowerKeys(f.FailFirst)
	next := &faultConfig{f: f, rateOrder: slices.Sorted(maps.Keys(f.Rates)), failed: map[string]int{}}
	fs := &s.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	prev := fs.current()
	next.bucket = prev.bucket
	if f.Throttle != prev.f.Throttle || f.ThrottleBurst != prev.f.ThrottleBurst || f.ThrottleWindow != prev.f.ThrottleWindow {
		next.bucket = newBucket(f, time.Now())
	}
	fs.cur.Store(next)
}

// noFaults is the config of a server whose faults were never set.
var noFaults = &faultConfig{}

// current returns the fault settings in force.
func (fs *faultState) current() *faultConfig {
	if fc := fs.cur.Load(); fc != nil {
		return fc
	}
	return noFaults
}

// forCustomer returns the fault forced on every call for the customer, if any.
func (fs *faultState) forCustomer(id string) Fault {
	return fs.current().f.Customers[id]
}

// forAgreements decides the fault of one agreements request for the
// customer: its forced fault, then its FailFirst 429s, then a roll of u
// (uniform in [0,1)) against Rates. "" means answer normally.
func (fs *faultState) forAgreements(id string, u float64) Fault {
	fc := fs.current()
	if f := fc.f.Customers[id]; f != "" {
		return f
	}
	if k := fc.f.FailFirst[id]; k > 0 {
		fc.failMu.Lock()
		n := fc.failed[id]
		if n < k {
			fc.failed[id] = n + 1
		}
		fc.failMu.Unlock()
		if n < k {
			return Fault429
		}
	}
	acc := 0.0
	for _, f := range fc.rateOrder {
		acc += fc.f.Rates[f]
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
