package pctest

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a Server's counters since New or ResetStats.
type Stats struct {
	Requests       int64    // all API requests (not token endpoint)
	Agreements     int64    // agreements requests
	CustomerPages  int64    // customers listing requests
	DirectSign     int64    // directSignedMicrosoftCustomerAgreementStatus requests
	Throttled      int64    // 429 answers
	Faults         int64    // injected faults other than 429
	Violations     int64    // requests breaking the client rules (headers, agreementType, continuation token)
	ViolationLog   []string // first 20 violation descriptions
	TokenRefreshes int64    // successful refresh-token exchanges
	Unauthorized   int64    // 401 answers
	PerSecond      []int64  // requests served (non-429) per whole second since New or ResetStats (for rate plots)
}

// Limits on what the server remembers, so that long benchmarks stay flat in memory.
const (
	maxViolationLog          = 20
	maxRequestIDCustomers    = 10000 // customers whose MS-RequestIds are kept (the first seen)
	maxRequestIDsPerCustomer = 64
	maxCorrelationIDs        = 1000
)

// counters holds the live statistics.
type counters struct {
	requests, agreements, customerPages, directSign atomic.Int64
	throttled, faults, violations                   atomic.Int64
	tokenRefreshes, unauthorized                    atomic.Int64

	mu           sync.Mutex // guards everything below
	start        time.Time
	perSecond    []int64
	violationLog []string
	requestIDs   map[string][]string
	correlations map[string]struct{}
	corrOrder    []string
}

// reset zeroes every counter and log; start is the new origin of PerSecond.
func (c *counters) reset(start time.Time) {
	for _, v := range []*atomic.Int64{&c.requests, &c.agreements, &c.customerPages, &c.directSign,
		&c.throttled, &c.faults, &c.violations, &c.tokenRefreshes, &c.unauthorized} {
		v.Store(0)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.start = start
	c.perSecond = nil
	c.violationLog = nil
	c.requestIDs = map[string][]string{}
	c.correlations = map[string]struct{}{}
	c.corrOrder = nil
}

// served counts one non-429 answer in the second it was given.
func (c *counters) served(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sec := int(now.Sub(c.start) / time.Second)
	if sec < 0 {
		sec = 0
	}
	for len(c.perSecond) <= sec {
		c.perSecond = append(c.perSecond, 0)
	}
	c.perSecond[sec]++
}

// violation counts one request breaking the rules and logs why.
func (c *counters) violation(desc string) {
	c.violations.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.violationLog) < maxViolationLog {
		c.violationLog = append(c.violationLog, desc)
	}
}

// seen records the MS-CorrelationId of a request and, for an agreements
// request, its MS-RequestId under the customer.
func (c *counters) seen(customerID, requestID, correlationID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.correlations[correlationID]; !ok && correlationID != "" && len(c.corrOrder) < maxCorrelationIDs {
		c.correlations[correlationID] = struct{}{}
		c.corrOrder = append(c.corrOrder, correlationID)
	}
	if customerID == "" {
		return
	}
	ids, ok := c.requestIDs[customerID]
	if !ok && len(c.requestIDs) >= maxRequestIDCustomers {
		return
	}
	if len(ids) < maxRequestIDsPerCustomer {
		c.requestIDs[customerID] = append(ids, requestID)
	}
}

// snapshot copies the counters into a Stats.
func (c *counters) snapshot() Stats {
	st := Stats{
		Requests:       c.requests.Load(),
		Agreements:     c.agreements.Load(),
		CustomerPages:  c.customerPages.Load(),
		DirectSign:     c.directSign.Load(),
		Throttled:      c.throttled.Load(),
		Faults:         c.faults.Load(),
		Violations:     c.violations.Load(),
		TokenRefreshes: c.tokenRefreshes.Load(),
		Unauthorized:   c.unauthorized.Load(),
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st.ViolationLog = append([]string(nil), c.violationLog...)
	st.PerSecond = append([]int64(nil), c.perSecond...)
	return st
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counters, the violation log, the per-second series and
// the RequestIDs and CorrelationIDs logs.
func (s *Server) ResetStats() { s.stats.reset(time.Now()) }

// RequestIDs returns the MS-RequestId of each agreements request for the
// customer, in arrival order. To bound memory, ids are kept only for the first
// 10,000 customers asked about and at most 64 per customer.
func (s *Server) RequestIDs(customerID string) []string {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]string(nil), s.stats.requestIDs[customerID]...)
}

// CorrelationIDs returns the distinct MS-CorrelationId values seen on API
// requests, in order of first appearance (at most 1,000).
func (s *Server) CorrelationIDs() []string {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]string(nil), s.stats.corrOrder...)
}
