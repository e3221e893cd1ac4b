package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TokenSource hands out Partner Center access tokens.
type TokenSource interface {
	// Token returns a valid access token.
	Token(ctx context.Context) (string, error)
	// Invalidate tells the source that token was refused, so the next
	// Token call gets a fresh one. A token that is no longer the current one
	// is ignored, so many workers refused together cause one refresh.
	Invalidate(token string)
}

// StaticToken is a fixed access token (the simple mode: a token from the
// environment). It cannot be refreshed.
func StaticToken(tok string) TokenSource { return staticToken(tok) }

type staticToken string

func (s staticToken) Token(context.Context) (string, error) {
	if s == "" {
		return "", fmt.Errorf("%w: no access token configured", ErrUnauthorized)
	}
	return string(s), nil
}

func (staticToken) Invalidate(string) {}

// ErrNoToken means no access token could be obtained for a reason other
// than a refusal: the token endpoint kept failing (after retries), or the
// rotated refresh token cannot be saved. A sweep stops on it, but it is not
// an authentication failure (not ErrUnauthorized).
var ErrNoToken = errors.New("no access token could be obtained")

// saveChecker is a RefreshTokenStore that can tell, before an exchange,
// whether a new refresh token could be saved.
type saveChecker interface {
	CheckSave() error
}

// rescuer is a RefreshTokenStore that can keep a token it failed to save
// somewhere recoverable.
type rescuer interface {
	// Rescue writes token (mode 0600) where the operator can find it and
	// returns that path.
	Rescue(token string) (string, error)
	// Path is where the store keeps the token.
	Path() string
}

// RefreshTokenStore keeps the rotating refresh token.
type RefreshTokenStore interface {
	Load() (string, error)
	Save(token string) error
}

// RefreshConfig configures the refresh-token exchange (the secure
// application model's App+User flow).
type RefreshConfig struct {
	TokenURL     string // default https://login.microsoftonline.com/{TenantID}/oauth2/token
	TenantID     string
	ClientID     string
	ClientSecret string
	Store        RefreshTokenStore // where the rotating refresh token lives
	HTTPClient   *http.Client      // [a client with a 30 s timeout]
	Now          func() time.Time  // [time.Now]
	MaxAttempts  int               // exchange attempts before giving up [6]
}

// partnerCenterResource is the audience of Partner Center tokens.
const partnerCenterResource = "https://api.partnercenter.microsoft.com"

// expiryMargin: a token is renewed this long before it expires.
const expiryMargin = 5 * time.Minute

// NewRefreshTokenSource returns a TokenSource that exchanges the stored
// refresh token for access tokens, caches each until 5 minutes before it
// expires, and persists every new refresh token before using the access
// token that came with it.
func NewRefreshTokenSource(cfg RefreshConfig) (TokenSource, error) {
	if cfg.TokenURL == "" {
		if cfg.TenantID == "" {
			return nil, errors.New("refresh token source: a tenant id or token url is required")
		}
		cfg.TokenURL = "https://login.microsoftonline.com/" + url.PathEscape(cfg.TenantID) + "/oauth2/token"
	}
	u, err := url.Parse(cfg.TokenURL)
	if err != nil {
		return nil, fmt.Errorf("refresh token source: token url: %w", err)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return nil, fmt.Errorf("refresh token source: token url %q must be https (http only on loopback)", u.Redacted())
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("refresh token source: client id and client secret are required")
	}
	if cfg.Store == nil {
		return nil, errors.New("refresh token source: a refresh token store is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	return &refreshSource{cfg: cfg, http: guardRedirects(cfg.HTTPClient), sleep: sleepCtx, lock: make(chan struct{}, 1)}, nil
}

// refreshSource is the TokenSource of NewRefreshTokenSource.
type refreshSource struct {
	cfg  RefreshConfig
	http *http.Client // cfg.HTTPClient with the redirect guard
	// sleep waits d or until ctx ends; tests replace it to skip real waits.
	sleep func(ctx context.Context, d time.Duration) error
	// failed is set when a rotated refresh token could not be saved: the
	// stored one is used up, so no further exchange is tried.
	failed error
	// lock is a mutex that a waiting caller can abandon when its ctx ends;
	// it makes concurrent callers share one refresh.
	lock    chan struct{}
	access  string
	expires time.Time
}

// Token returns the cached access token or refreshes it; callers arriving
// during a refresh wait for it and share its result.
func (s *refreshSource) Token(ctx context.Context) (string, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.lock }()
	if s.access != "" && s.cfg.Now().Before(s.expires) {
		return s.access, nil
	}
	return s.refresh(ctx)
}

// Invalidate drops token if it is the cached one.
func (s *refreshSource) Invalidate(token string) {
	s.lock <- struct{}{}
	defer func() { <-s.lock }()
	if token == s.access {
		s.access = ""
	}
}

// tokenAnswer is Entra's token endpoint answer, success or error.
type tokenAnswer struct {
	AccessToken      string          `json:"access_token"`
	RefreshToken     string          `json:"refresh_token"`
	ExpiresIn        json.RawMessage `json:"expires_in"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
	ErrorCodes       []int64         `json:"error_codes"`
}

// refresh runs the exchange; s.lock is held.
func (s *refreshSource) refresh(ctx context.Context) (string, error) {
	if s.failed != nil {
		return "", s.failed
	}
	rt, err := s.cfg.Store.Load()
	if err != nil {
		return "", fmt.Errorf("%w: load refresh token: %w", ErrUnauthorized, err)
	}
	rt = strings.TrimSpace(rt)
	if rt == "" {
		return "", fmt.Errorf("%w: load refresh token: the store holds no refresh token", ErrUnauthorized)
	}
	// Entra rotates the refresh token on every exchange: exchanging the
	// stored one when the new one cannot be saved would use it up.
	if ck, ok := s.cfg.Store.(saveChecker); ok {
		if err := ck.CheckSave(); err != nil {
			return "", fmt.Errorf("%w: %w", ErrNoToken, err)
		}
	}
	ans, err := s.exchange(ctx, rt)
	if err != nil {
		return "", err
	}
	if ans.RefreshToken != "" && ans.RefreshToken != rt {
		if err := s.cfg.Store.Save(ans.RefreshToken); err != nil {
			s.failed = fmt.Errorf("%w: %w", ErrNoToken, s.rescue(ans.RefreshToken, err))
			return "", s.failed
		}
	}
	life := parseExpiresIn(ans.ExpiresIn)
	margin := expiryMargin
	if life <= 2*expiryMargin {
		margin = life / 2
	}
	s.access = ans.AccessToken
	s.expires = s.cfg.Now().Add(life - margin)
	return s.access, nil
}

// rescue keeps a rotated refresh token that the store could not save, and
// says where it is and what to do; it never holds the token itself.
func (s *refreshSource) rescue(token string, saveErr error) error {
	r, ok := s.cfg.Store.(rescuer)
	if !ok {
		return fmt.Errorf("save rotated refresh token: %w; the new refresh token could not be kept and the stored one is used up: the partner must consent again", saveErr)
	}
	where, err := r.Rescue(token)
	if err != nil {
		return fmt.Errorf("save rotated refresh token: %w; keeping it elsewhere failed too (%w): the stored one is used up, the partner must consent again", saveErr, err)
	}
	return fmt.Errorf("save rotated refresh token: %w; the new refresh token was written to %s (mode 0600): move it over %s (mv %q %q) before the next run, the old one is used up", saveErr, where, r.Path(), where, r.Path())
}

// exchange posts the refresh-token grant, retrying what may pass on a
// second try (transport failures, 408, 429, 5xx, Entra's server_error and
// temporarily_unavailable) with backoff and Retry-After, up to
// RefreshConfig.MaxAttempts attempts. A refusal (400/401 with an OAuth
// error such as invalid_grant) is a *TokenError, which is ErrUnauthorized;
// anything else that does not pass is ErrNoToken.
func (s *refreshSource) exchange(ctx context.Context, rt string) (tokenAnswer, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {s.cfg.ClientID},
		"client_secret": {s.cfg.ClientSecret},
		"refresh_token": {rt},
	}
	if strings.Contains(s.cfg.TokenURL, "/v2.0/") {
		form.Set("scope", partnerCenterResource+"/.default")
	} else {
		form.Set("resource", partnerCenterResource)
	}
	encoded := form.Encode()
	throttles := 0
	for attempt := 1; ; attempt++ {
		ans, retryAfter, err := s.post(ctx, encoded, rt)
		if err == nil {
			return ans, nil
		}
		if ctx.Err() != nil || !isRetryableExchange(err) {
			return ans, err
		}
		if attempt >= s.cfg.MaxAttempts {
			return ans, fmt.Errorf("%w: token refresh failed after %d attempts: %w", ErrNoToken, attempt, err)
		}
		wait := fullJitter(backoffBound(attempt))
		if retryAfter > 0 {
			throttles++
			wait = retryAfter
			if throttles > 1 {
				wait += fullJitter(backoffBound(throttles - 1))
			}
		}
		if err := s.sleep(ctx, wait); err != nil {
			return ans, err
		}
	}
}

// retryableExchange marks an exchange failure that a later attempt may get
// past.
type retryableExchange struct{ err error }

func (e *retryableExchange) Error() string { return e.err.Error() }
func (e *retryableExchange) Unwrap() error { return e.err }

func isRetryableExchange(err error) bool {
	var r *retryableExchange
	return errors.As(err, &r)
}

// post makes one exchange attempt and returns the answer, the Retry-After
// it carried, and an error: a *TokenError for a refusal, a
// *retryableExchange for what may pass on a retry.
func (s *refreshSource) post(ctx context.Context, form, rt string) (tokenAnswer, time.Duration, error) {
	var ans tokenAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(form))
	if err != nil {
		return ans, 0, fmt.Errorf("%w: token refresh: build request: %w", ErrNoToken, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ans, 0, ctx.Err()
		}
		// *url.Error names the token URL, which holds no secret (the
		// secrets travel in the form body).
		var re *RedirectError
		if errors.As(err, &re) {
			return ans, 0, fmt.Errorf("%w: token refresh: %w", ErrNoToken, re)
		}
		return ans, 0, &retryableExchange{fmt.Errorf("token refresh: %w", classifyTransport(err))}
	}
	defer resp.Body.Close()
	retryAfter := parseRetryAfter(resp.Header.Get("Retry-After"), s.cfg.Now())
	body, err := readLimited(resp.Body, resp.ContentLength, 1<<20)
	if err != nil {
		return ans, 0, &retryableExchange{fmt.Errorf("token refresh: read answer (status %d): %w", resp.StatusCode, err)}
	}
	jerr := json.Unmarshal(bytes.TrimPrefix(body, utf8BOM), &ans)
	if jerr != nil {
		ans = tokenAnswer{}
	}
	status := resp.StatusCode
	if status == http.StatusOK && ans.Error == "" {
		if ans.AccessToken == "" {
			return ans, 0, fmt.Errorf("%w: token refresh: status 200: the answer holds no access token", ErrNoToken)
		}
		return ans, 0, nil
	}
	te := s.tokenError(status, ans, rt, body)
	switch {
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500,
		ans.Error == "server_error" || ans.Error == "temporarily_unavailable":
		return ans, retryAfter, &retryableExchange{te}
	case status >= 400 && status < 500 && ans.Error != "":
		return ans, 0, te
	}
	return ans, 0, fmt.Errorf("%w: %w", ErrNoToken, te)
}

// TokenError is the token endpoint's answer to a failed exchange: its HTTP
// status, its OAuth error code, the AADSTS code and the first line of its
// description (HTML-unescaped, secrets removed). A refusal (a 400/401 with
// an OAuth error such as invalid_grant, invalid_client,
// unauthorized_client, interaction_required) matches ErrUnauthorized.
type TokenError struct {
	Status      int
	Code        string // OAuth error, e.g. invalid_grant; empty when the answer had none
	AADSTS      string // e.g. AADSTS70008; empty when the answer had none
	Description string
}

// Error implements error.
func (e *TokenError) Error() string {
	msg := "token endpoint answered " + strconv.Itoa(e.Status)
	if text := http.StatusText(e.Status); text != "" {
		msg += " " + text
	}
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.AADSTS != "" && !strings.HasPrefix(e.Description, e.AADSTS) {
		msg += " (" + e.AADSTS + ")"
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.Code == "invalid_grant" {
		msg += " (the stored refresh token is expired or revoked: the partner must consent again)"
	}
	return msg
}

// Is reports whether e is a refusal, ErrUnauthorized.
func (e *TokenError) Is(target error) bool {
	return target == ErrUnauthorized && e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests &&
		e.Code != "" && e.Code != "server_error" && e.Code != "temporarily_unavailable"
}

// tokenError describes a failed exchange without echoing anything the
// request carried: the description is Entra's own text, scrubbed of the
// secret and refresh token anyway and cut to its first line.
func (s *refreshSource) tokenError(status int, ans tokenAnswer, rt string, body []byte) *TokenError {
	e := &TokenError{Status: status, Code: clip(readableText(ans.Error), 60)}
	desc, _, _ := strings.Cut(ans.ErrorDescription, "\n")
	if ans.Error == "" {
		desc = pageTitle(bytes.TrimSpace(body))
	}
	desc = readableText(desc)
	for _, secret := range []string{s.cfg.ClientSecret, rt} {
		if secret != "" {
			desc = strings.ReplaceAll(desc, secret, "[redacted]")
		}
	}
	e.Description = clip(desc, 200)
	if len(ans.ErrorCodes) > 0 {
		e.AADSTS = "AADSTS" + strconv.FormatInt(ans.ErrorCodes[0], 10)
	} else if m := aadstsCode.FindString(desc); m != "" {
		e.AADSTS = m
	}
	return e
}

// aadstsCode finds an Entra error code in a description.
var aadstsCode = regexp.MustCompile(`AADSTS[0-9]+`)

// parseExpiresIn reads expires_in as a number or a string of seconds;
// unreadable or absent means one hour (Entra's usual lifetime).
func parseExpiresIn(raw json.RawMessage) time.Duration {
	const fallback = time.Hour
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 || n > 1e7 {
		return fallback
	}
	return time.Duration(n * float64(time.Second))
}

// NewFileTokenStore keeps the refresh token in a file. Save replaces it
// atomically (temporary file, fsync, rename) with mode 0600.
func NewFileTokenStore(path string) RefreshTokenStore { return fileTokenStore{path: path} }

type fileTokenStore struct{ path string }

// Load reads the token file.
func (f fileTokenStore) Load() (string, error) {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", fmt.Errorf("read refresh token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Save writes token to a temporary file beside the target, syncs it and
// renames it over the target, so a crash leaves the old or the new token.
func (f fileTokenStore) Save(token string) error {
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write refresh token file: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write refresh token file: %w", err)
	}
	if _, err := tmp.WriteString(token + "\n"); err != nil {
		return fmt.Errorf("write refresh token file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write refresh token file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write refresh token file: %w", err)
	}
	if err := os.Rename(name, f.path); err != nil {
		return fmt.Errorf("write refresh token file: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// CheckSave checks that the token file's folder takes a new file (creates
// and removes one), which Save needs.
func (f fileTokenStore) CheckSave() error {
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".check-*")
	if err != nil {
		return fmt.Errorf("the refresh token file's folder %s is not writable, so the rotated refresh token could not be saved; the stored one was not used: %w", dir, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// Path returns the token file's path.
func (f fileTokenStore) Path() string { return f.path }

// Rescue writes token to a new 0600 file beside the token file, else in
// the user's cache folder (mcawatch/), else in the temporary folder, and
// returns its path.
func (f fileTokenStore) Rescue(token string) (string, error) {
	dirs := []string{filepath.Dir(f.path)}
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "mcawatch"))
	}
	dirs = append(dirs, os.TempDir())
	var errs []error
	for i, dir := range dirs {
		// The token file's own folder is not re-created: if it is gone,
		// a token left in a new one there would be easy to miss.
		if i > 0 {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		// CreateTemp makes the file with mode 0600.
		tmp, err := os.CreateTemp(dir, filepath.Base(f.path)+".new-*")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = tmp.WriteString(token + "\n")
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp.Name())
			errs = append(errs, err)
			continue
		}
		return tmp.Name(), nil
	}
	return "", errors.Join(errs...)
}
