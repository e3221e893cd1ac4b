package fetch

import (
	"fmt"
	"net/http"
	"strings"
)

// maxRedirects bounds the redirects one request follows, as net/http's
// default does.
const maxRedirects = 10

// credentialHeaders are the headers that carry a credential; they never
// cross to another origin.
var credentialHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization"}

// RedirectError is a redirect the client refused to follow (see
// guardRedirects). It is not retried: the server would send it again.
type RedirectError struct {
	Reason string // what was refused and why; names scheme and host only
}

// Error implements error.
func (e *RedirectError) Error() string { return e.Reason }

// guardRedirects returns a copy of hc (hc itself is not changed, so a
// caller's client stays as it was) whose redirects never leak a
// credential: a redirect to a non-https URL outside loopback is refused (a
// 302 to http://169.254.169.254/… is not followed); a redirect to another
// origin (scheme, host or port) is followed without the credential
// headers, and refused outright for a request with a body (the token
// exchange's form holds the client secret and the refresh token). hc's own
// CheckRedirect, if any, still has the last word.
func guardRedirects(hc *http.Client) *http.Client {
	guarded := *hc
	prev := hc.CheckRedirect
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return &RedirectError{Reason: fmt.Sprintf("stopped after %d redirects", maxRedirects)}
		}
		target := req.URL.Scheme + "://" + req.URL.Host
		if req.URL.Scheme != "https" && !(req.URL.Scheme == "http" && isLoopback(req.URL.Hostname())) {
			return &RedirectError{Reason: "refused a redirect to " + target + ": only https is followed (plain http only on loopback)"}
		}
		first := via[0].URL
		if !strings.EqualFold(first.Scheme, req.URL.Scheme) || !strings.EqualFold(first.Host, req.URL.Host) {
			if req.GetBody != nil || req.Method != http.MethodGet && req.Method != http.MethodHead {
				return &RedirectError{Reason: "refused a redirect of a " + req.Method + " to " + first.Host + " to another host (" + target + ")"}
			}
			for _, h := range credentialHeaders {
				req.Header.Del(h)
			}
		}
		if prev != nil {
			return prev(req, via)
		}
		return nil
	}
	return &guarded
}
