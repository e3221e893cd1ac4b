package pctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Values the token endpoint requires.
const (
	PartnerCenterResource = "https://api.partnercenter.microsoft.com"
	PartnerCenterScope    = "https://api.partnercenter.microsoft.com/.default"
	accessTokenLifetime   = 3599 * time.Second
	maxFormBytes          = 64 << 10
)

// authState holds the refresh token and the issued access tokens.
type authState struct {
	mu        sync.Mutex // guards the fields below
	refresh   string
	refreshes int
	epoch     int                    // bumped by ExpireTokens
	issued    map[string]issuedToken // access token → when and in which epoch
	mfa       atomic.Bool
}

// issuedToken is one access token handed out by the token endpoint.
type issuedToken struct {
	epoch   int
	expires time.Time
}

// RefreshToken returns the refresh token the token endpoint accepts now. It
// starts as "pctest-refresh-0" and rotates on every successful exchange.
func (s *Server) RefreshToken() string {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	return s.auth.refresh
}

// ExpireTokens makes every issued access token (not the static Options.Token)
// expired: API calls with one answer 401 until the client refreshes.
func (s *Server) ExpireTokens() {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	s.auth.epoch++
	clear(s.auth.issued)
}

// RequireMFA makes every API request answer 401 with code 900421 (the token
// lacks an MFA claim) while on.
func (s *Server) RequireMFA(on bool) { s.auth.mfa.Store(on) }

// TokenURL returns the token endpoint URL. The same handler also answers
// /{tenant}/oauth2/token (v1, form field resource) and
// /{tenant}/oauth2/v2.0/token (v2.0, form field scope).
func (s *Server) TokenURL() string { return s.URL() + "/common/oauth2/token" }

// TokenV2URL returns the v2.0 token endpoint URL, which wants the form field
// scope instead of resource and answers expires_in as a number.
func (s *Server) TokenV2URL() string { return s.URL() + "/common/oauth2/v2.0/token" }

// authorize checks the bearer token of an API request. ok false comes with
// the error code and description of the 401 answer.
func (s *Server) authorize(r *http.Request, now time.Time) (ok bool, code, desc string) {
	h := r.Header.Get("Authorization")
	scheme, tok, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false, "900401", "Unauthorized: the request has no bearer token"
	}
	valid := tok == s.opts.Token
	if !valid {
		s.auth.mu.Lock()
		it, known := s.auth.issued[tok]
		valid = known && it.epoch == s.auth.epoch && now.Before(it.expires)
		s.auth.mu.Unlock()
	}
	switch {
	case !valid:
		return false, "900401", "Unauthorized: the access token is expired or invalid"
	case s.auth.mfa.Load():
		return false, "900421", "Unauthorized: the token does not have the MFA claim; MFA is required for App+User access"
	}
	return true, "", ""
}

// handleToken is the Entra-like refresh-token exchange.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	v2 := strings.HasSuffix(r.URL.Path, "/v2.0/token")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeEntraError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body could not be parsed as a form.")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "refresh_token" {
		writeEntraError(w, http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type; only refresh_token is accepted.")
		return
	}
	if f.Get("client_id") != s.opts.ClientID || f.Get("client_secret") != s.opts.ClientSecret {
		writeEntraError(w, http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided, or the client_id is unknown.")
		return
	}
	if v2 && !validScope(f.Get("scope")) {
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70011: The provided request must include a 'scope' input parameter naming "+PartnerCenterScope+".")
		return
	}
	if !v2 && f.Get("resource") != PartnerCenterResource {
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", "AADSTS500011: The request must include the 'resource' parameter "+PartnerCenterResource+".")
		return
	}
	now := time.Now()
	s.auth.mu.Lock()
	if f.Get("refresh_token") == "" || f.Get("refresh_token") != s.auth.refresh {
		s.auth.mu.Unlock()
		writeEntraError(w, http.StatusBadRequest, "invalid_grant", "AADSTS70000: Provided grant is invalid or malformed (the refresh token was already used or never issued).")
		return
	}
	s.auth.refreshes++
	s.auth.refresh = fmt.Sprintf("pctest-refresh-%d", s.auth.refreshes)
	access := fmt.Sprintf("pctest-access-%d-%d", s.auth.epoch, s.auth.refreshes)
	s.auth.issued[access] = issuedToken{epoch: s.auth.epoch, expires: now.Add(accessTokenLifetime)}
	refresh := s.auth.refresh
	s.auth.mu.Unlock()
	s.stats.tokenRefreshes.Add(1)

	secs := int(accessTokenLifetime / time.Second)
	body := map[string]any{
		"token_type":    "Bearer",
		"access_token":  access,
		"refresh_token": refresh,
	}
	if v2 {
		// Entra v2.0 sends numbers; v1 sends strings.
		body["scope"] = PartnerCenterScope
		body["expires_in"] = secs
		body["ext_expires_in"] = secs
	} else {
		body["resource"] = PartnerCenterResource
		body["expires_in"] = strconv.Itoa(secs)
		body["ext_expires_in"] = strconv.Itoa(secs)
		body["expires_on"] = strconv.FormatInt(now.Add(accessTokenLifetime).Unix(), 10)
		body["not_before"] = strconv.FormatInt(now.Unix(), 10)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// validScope reports whether a v2.0 scope names the Partner Center resource
// and nothing but the usual OpenID extras.
func validScope(scope string) bool {
	found := false
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case PartnerCenterScope:
			found = true
		case "offline_access", "openid", "profile":
		default:
			return false
		}
	}
	return found
}

// writeEntraError answers like Entra ID does on a failed token request.
func writeEntraError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

// writeJSON marshals v and answers it with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, b)
}

// writeBody answers a ready JSON body with status.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	// One backing array for both values instead of a slice each.
	vals := [...]string{"application/json; charset=utf-8", strconv.Itoa(len(b))}
	h["Content-Type"] = vals[0:1:1]
	h["Content-Length"] = vals[1:2:2]
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
