package pctest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// kind tells the middleware which counter an API request belongs to.
type kind int

const (
	kindOther kind = iota
	kindPage
	kindAgreements
	kindDirectSign
)

// call is what a handler reports back to the middleware about one request.
type call struct {
	problems  []string // rule breaches: each request with any counts one Violation
	throttled bool     // answered 429, so not counted as served
}

// apiHandler is an endpoint behind the common checks.
type apiHandler func(w http.ResponseWriter, r *http.Request, c *call)

// api wraps an endpoint with what every API request goes through, in the
// order the service applies it: counting, latency, authentication, header
// checks and the partner tenant's throttle.
func (s *Server) api(k kind, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.stats.requests.Add(1)
		customerID := ""
		switch k {
		case kindPage:
			s.stats.customerPages.Add(1)
		case kindAgreements:
			s.stats.agreements.Add(1)
			customerID = lowerASCII(r.PathValue("id"))
		case kindDirectSign:
			s.stats.directSign.Add(1)
		}
		requestID, correlationID := r.Header.Get(headerRequestID), r.Header.Get(headerCorrelationID)
		s.stats.seen(customerID, requestID, correlationID)

		fc := s.faults.current()
		if fc.f.Latency > 0 && !s.hold(r, fc.f.Latency) {
			return
		}
		echoHeaders(w, requestID, correlationID)
		c := &call{problems: headerProblems(r)}
		defer func() {
			if len(c.problems) > 0 {
				s.stats.violation(r.Method + " " + r.URL.RequestURI() + ": " + strings.Join(c.problems, "; "))
			}
			if !c.throttled {
				s.stats.served(time.Now())
			}
		}()
		if ok, code, desc := s.authorize(r, time.Now()); !ok {
			s.stats.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			writeBody(w, http.StatusUnauthorized, errorBody(code, desc, "", nil))
			return
		}
		if fc.bucket != nil {
			if ok, wait := fc.bucket.take(time.Now()); !ok {
				c.throttled = true
				s.writeThrottled(w, wait)
				return
			}
		}
		h(w, r, c)
	}
}

// writeThrottled answers 429 with Retry-After in whole seconds and the body
// the service sends (testdata/recorded/error_429_docs.json):
// {"statusCode":429,"message":…}, not the usual {code, description}.
func (s *Server) writeThrottled(w http.ResponseWriter, retryAfter int) {
	s.stats.throttled.Add(1)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeBody(w, http.StatusTooManyRequests, []byte(`{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in `+strconv.Itoa(retryAfter)+` seconds." }`))
}

// The Partner Center header names in the canonical form net/http keys them
// by. Looking them up (or setting them) in this form skips the
// canonicalisation, which allocates a new string on every call for names
// net/http does not know.
const (
	headerRequestID     = "Ms-Requestid"
	headerCorrelationID = "Ms-Correlationid"
	headerLocale        = "X-Locale"
	headerApplication   = "Ms-Partnercenter-Application"
	headerCV            = "Ms-Cv"
	headerServerID      = "Ms-Serverid"
)

// echoHeaders copies the request's tracing headers (MS-RequestId and
// MS-CorrelationId, "" when absent) to the answer, as the service does.
func echoHeaders(w http.ResponseWriter, requestID, correlationID string) {
	h := w.Header()
	// One backing array for the values instead of a slice each.
	vals := [...]string{requestID, correlationID, "pctest.0", "pctest"}
	if vals[0] != "" {
		h[headerRequestID] = vals[0:1:1]
	}
	if vals[1] != "" {
		h[headerCorrelationID] = vals[1:2:2]
	}
	h[headerCV] = vals[2:3:3]
	h[headerServerID] = vals[3:4:4]
}

// requiredHeader is a header every API request must carry: its canonical
// key and its name as the violation log spells it.
type requiredHeader struct{ key, name string }

var (
	guidHeaders     = [...]requiredHeader{{headerRequestID, "MS-RequestId"}, {headerCorrelationID, "MS-CorrelationId"}}
	nonEmptyHeaders = [...]requiredHeader{{headerLocale, "X-Locale"}, {headerApplication, "MS-PartnerCenter-Application"}}
)

// headerProblems lists the required request headers that are missing or malformed.
func headerProblems(r *http.Request) []string {
	var p []string
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		p = append(p, "Accept: application/json missing")
	}
	for _, h := range guidHeaders {
		if v := r.Header.Get(h.key); !isGUID(v) {
			p = append(p, h.name+" is not a GUID: "+strconv.Quote(v))
		}
	}
	for _, h := range nonEmptyHeaders {
		if r.Header.Get(h.key) == "" {
			p = append(p, h.name+" missing")
		}
	}
	return p
}

// isGUID reports whether v is a GUID in the 8-4-4-4-12 hex form.
func isGUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if ch != '-' {
				return false
			}
		case ch >= '0' && ch <= '9', ch >= 'a' && ch <= 'f', ch >= 'A' && ch <= 'F':
		default:
			return false
		}
	}
	return true
}

// lowerASCII lower-cases a customer id without allocating when it already is.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
