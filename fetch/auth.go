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
		return "", errors.New("no access token configured")
	}
	return string(s), nil
}

func (staticToken) Invalidate(string) {}

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
	return &refreshSource{cfg: cfg, lock: make(chan struct{}, 1)}, nil
}

// refreshSource is the TokenSource of NewRefreshTokenSource.
type refreshSource struct {
	cfg RefreshConfig
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
}

// refresh runs the exchange; s.lock is held.
func (s *refreshSource) refresh(ctx context.Context) (string, error) {
	rt, err := s.cfg.Store.Load()
	if err != nil {
		return "", fmt.Errorf("load refresh token: %w", err)
	}
	rt = strings.TrimSpace(rt)
	if rt == "" {
		return "", errors.New("load refresh token: the store holds no refresh token")
	}
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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("token refresh: build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		// *url.Error names the token URL, which holds no secret (the
		// secrets travel in the form body).
		return "", fmt.Errorf("token refresh: %w", err)
	}
	defer resp.Body.Close()
	body, err := readLimited(resp.Body, resp.ContentLength, 1<<20)
	if err != nil {
		return "", fmt.Errorf("token refresh: read answer (status %d): %w", resp.StatusCode, err)
	}
	var ans tokenAnswer
	jerr := json.Unmarshal(bytes.TrimPrefix(body, utf8BOM), &ans)
	if resp.StatusCode != http.StatusOK || ans.Error != "" {
		return "", s.entraError(resp.StatusCode, ans, jerr)
	}
	if jerr != nil || ans.AccessToken == "" {
		return "", fmt.Errorf("token refresh: status %d: the answer holds no access token", resp.StatusCode)
	}
	if ans.RefreshToken != "" && ans.RefreshToken != rt {
		if err := s.cfg.Store.Save(ans.RefreshToken); err != nil {
			return "", fmt.Errorf("save rotated refresh token: %w", err)
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

// entraError describes a refused exchange without echoing anything the
// request carried: the description is Entra's own text, scrubbed of the
// secret and refresh token anyway and cut to its first line.
func (s *refreshSource) entraError(status int, ans tokenAnswer, jerr error) error {
	if jerr != nil || ans.Error == "" {
		return fmt.Errorf("token refresh: status %d without an error description", status)
	}
	desc, _, _ := strings.Cut(ans.ErrorDescription, "\n")
	desc = strings.TrimSpace(desc)
	for _, secret := range []string{s.cfg.ClientSecret, s.loadedForScrub()} {
		if secret != "" {
			desc = strings.ReplaceAll(desc, secret, "[redacted]")
		}
	}
	msg := fmt.Sprintf("token refresh refused (status %d): %s", status, clip(ans.Error, 60))
	if desc != "" {
		msg += ": " + clip(desc, 200)
	}
	if ans.Error == "invalid_grant" {
		msg += " (the stored refresh token is expired or revoked: the partner must consent again)"
	}
	return errors.New(msg)
}

// loadedForScrub returns the stored refresh token for scrubbing, or "".
func (s *refreshSource) loadedForScrub() string {
	rt, err := s.cfg.Store.Load()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(rt)
}

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
