package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Format is the payload a webhook receives.
type Format string

// The webhook formats.
const (
	FormatTeams Format = "teams" // a Microsoft Teams Workflows message carrying an Adaptive Card
	FormatSlack Format = "slack" // Slack blocks with a text fallback
	FormatJSON  Format = "json"  // plain JSON for scripts and PSA tools
)

// ParseFormat checks a notify.webhooks format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatTeams, FormatSlack, FormatJSON:
		return f, nil
	}
	return "", fmt.Errorf("unknown webhook format %q: use teams, slack or json", s)
}

// Payload renders m in format f: the exact body a webhook of that format
// is sent.
func Payload(f Format, m Message) ([]byte, error) {
	switch f {
	case FormatTeams:
		return teamsPayload(m)
	case FormatSlack:
		return slackPayload(m)
	case FormatJSON:
		return jsonPayload(m)
	}
	return nil, fmt.Errorf("unknown webhook format %q", f)
}

// webhookTimeout bounds one attempt when the Webhook has no Client of its own.
const webhookTimeout = 30 * time.Second

// maxErrorBody is how much of a refusal's body an error quotes.
const maxErrorBody = 200

// Webhook posts messages to one URL. The URL is a secret (whoever holds it
// can post to the channel): it appears in no error and no Name.
type Webhook struct {
	Label  string       // the channel's Name, e.g. "teams webhook #1"
	URL    string       // https, or http on a loopback address (tests)
	Format Format       //
	Client *http.Client // nil: a client with a 30 s timeout that follows no redirect
}

// NewWebhook checks a webhook's format and URL and names it "<format>
// webhook #<n>" (n counts from 1 in the config's order). Its errors never
// quote the URL.
func NewWebhook(format, rawURL string, n int) (*Webhook, error) {
	f, err := ParseFormat(format)
	if err != nil {
		return nil, err
	}
	w := &Webhook{Label: fmt.Sprintf("%s webhook #%d", f, n), URL: rawURL, Format: f}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// Validate checks the URL without quoting it: https, or plain http only to
// a loopback address.
func (w *Webhook) Validate() error {
	if strings.TrimSpace(w.URL) == "" {
		return fmt.Errorf("%s: the URL is empty", w.Name())
	}
	u, err := url.Parse(w.URL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s: the URL is not an absolute URL (not shown: it is a secret)", w.Name())
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return fmt.Errorf("%s: the URL must use https (plain http only to a loopback address)", w.Name())
	}
	if _, err := ParseFormat(string(w.Format)); err != nil {
		return fmt.Errorf("%s: %w", w.Name(), err)
	}
	return nil
}

// Name says which webhook this is; it never holds the URL.
func (w *Webhook) Name() string {
	if w.Label != "" {
		return w.Label
	}
	return string(w.Format) + " webhook"
}

// Deliver posts m once. 2xx is delivered; 429, 408 and 5xx answers and
// transport failures may be retried (with the answer's Retry-After); other
// answers, redirects included, are final.
func (w *Webhook) Deliver(ctx context.Context, m Message) error {
	if err := w.Validate(); err != nil {
		return &deliveryError{msg: err.Error(), permanent: true}
	}
	body, err := Payload(w.Format, m)
	if err != nil {
		return &deliveryError{msg: fmt.Sprintf("%s: render: %v", w.Name(), err), permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return &deliveryError{msg: w.Name() + ": " + w.redact(err.Error()), permanent: true}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "mcawatch-notify")
	resp, err := w.client().Do(req)
	if err != nil {
		return &deliveryError{msg: w.Name() + ": " + w.transportError(err), cause: ctx.Err()}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &deliveryError{msg: fmt.Sprintf("%s: the receiver answered %s", w.Name(), resp.Status)}
	if s := strings.Join(strings.Fields(string(snippet)), " "); s != "" {
		e.msg += ": " + w.redact(s)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		e.msg += " (a redirect: webhooks are not followed elsewhere, check the URL)"
		e.permanent = true
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode >= 500:
		e.retryAfter, e.retryAt = parseRetryAfter(resp.Header.Get("Retry-After"))
	default:
		e.permanent = true
	}
	return e
}

func (w *Webhook) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	return &http.Client{
		Timeout: webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// transportError describes a failed request without its URL: net/http's
// *url.Error quotes the whole URL, token and all.
func (w *Webhook) transportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer in time"
	}
	return w.redact(err.Error())
}

// redact removes the URL and its parts from s, whatever quoted them.
func (w *Webhook) redact(s string) string {
	secrets := []string{w.URL}
	if u, err := url.Parse(w.URL); err == nil {
		secrets = append(secrets, u.String(), u.Redacted(), u.EscapedPath(), u.Path, u.RawQuery, u.Fragment)
		if q, err := url.QueryUnescape(u.RawQuery); err == nil {
			secrets = append(secrets, q)
		}
		for _, part := range strings.FieldsFunc(u.Path+"&"+u.RawQuery, func(r rune) bool { return r == '/' || r == '&' || r == '=' || r == '?' }) {
			// Any long path segment or query value may be the token itself.
			if len(part) >= 12 {
				secrets = append(secrets, part)
			}
		}
	}
	long := secrets[:0]
	for _, x := range secrets {
		// A short part ("/", "/hook") is no secret and would garble the text.
		if len(x) >= 8 {
			long = append(long, x)
		}
	}
	return redact(s, long...)
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string) (time.Duration, time.Time) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, time.Time{}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, time.Time{}
	}
	if t, err := http.ParseTime(v); err == nil {
		return 0, t
	}
	return 0, time.Time{}
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
