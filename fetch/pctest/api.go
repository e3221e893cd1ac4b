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
		s.stats.seen(customerID, r.Header.Get("MS-RequestId"), r.Header.Get("MS-CorrelationId"))

		latency, bucket := s.faults.current()
		if latency > 0 && !s.hold(r, latency) {
			return
		}
		echoHeaders(w, r)
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
		if bucket != nil {
			if ok, wait := bucket.take(time.Now()); !ok {
				c.throttled = true
				s.writeThrottled(w, wait)
				return
			}
		}
		h(w, r, c)
	}
}

// hold waits d, or less if the client goes away or the server closes; it
// reports whether the whole d passed.
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// writeThrottled answers 429 with Retry-After in whole seconds.
func (s *Server) writeThrottled(w http.ResponseWriter, retryAfter int) {
	s.stats.throttled.Add(1)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	writeBody(w, http.StatusTooManyRequests, errorBody("TooManyRequests",
		"Rate limit is exceeded. Try again in "+strconv.Itoa(retryAfter)+" seconds.", "", nil))
}

// echoHeaders copies the request's tracing headers to the answer, as the service does.
func echoHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if v := r.Header.Get("MS-RequestId"); v != "" {
		h.Set("MS-RequestId", v)
	}
	if v := r.Header.Get("MS-CorrelationId"); v != "" {
		h.Set("MS-CorrelationId", v)
	}
	h.Set("MS-CV", "pctest.0")
	h.Set("MS-ServerId", "pctest")
}

// headerProblems lists the required request headers that are missing or malformed.
func headerProblems(r *http.Request) []string {
	var p []string
	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		p = append(p, "Accept: application/json missing")
	}
	for _, name := range []string{"MS-RequestId", "MS-CorrelationId"} {
		if v := r.Header.Get(name); !isGUID(v) {
			p = append(p, name+" is not a GUID: "+strconv.Quote(v))
		}
	}
	for _, name := range []string{"X-Locale", "MS-PartnerCenter-Application"} {
		if r.Header.Get(name) == "" {
			p = append(p, name+" missing")
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
