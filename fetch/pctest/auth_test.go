package pctest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tokenAnswer is the union of the token endpoint's success and error bodies.
type tokenAnswer struct {
	TokenType        string `json:"token_type"`
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	ExpiresIn        any    `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// exchange posts a refresh-token form to the token endpoint at path.
func exchange(tb testing.TB, s *Server, path string, form url.Values) (int, tokenAnswer) {
	tb.Helper()
	resp, err := http.PostForm(s.URL()+path, form)
	if err != nil {
		tb.Fatalf("post %s: %v", path, err)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		tb.Fatalf("decode token answer: %v", err)
	}
	return resp.StatusCode, a
}

// goodForm is a v1 refresh-token exchange the server accepts.
func goodForm(s *Server) url.Values {
	return url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {DefaultClientID},
		"client_secret": {DefaultClientSecret},
		"refresh_token": {s.RefreshToken()},
		"resource":      {PartnerCenterResource},
	}
}

// getWith sends a well-formed GET authorised by token.
func getWith(tb testing.TB, s *Server, path, token string) (*http.Response, []byte) {
	tb.Helper()
	req := newRequest(tb, s, path)
	req.Header.Set("Authorization", "Bearer "+token)
	return do(tb, req)
}

func TestServer_TokenEndpoint(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		edit      func(f url.Values)
		status    int
		wantError string
	}{
		{"v1", "/common/oauth2/token", func(url.Values) {}, http.StatusOK, ""},
		{"v1 tenant", "/0f0e0d0c-0000-4000-8000-000000000001/oauth2/token", func(url.Values) {}, http.StatusOK, ""},
		{"v2 scope", "/common/oauth2/v2.0/token", func(f url.Values) {
			f.Del("resource")
			f.Set("scope", PartnerCenterScope+" offline_access")
		}, http.StatusOK, ""},
		{"v1 without resource", "/common/oauth2/token", func(f url.Values) { f.Del("resource") }, http.StatusBadRequest, "invalid_grant"},
		{"v1 wrong resource", "/common/oauth2/token", func(f url.Values) { f.Set("resource", "https://graph.microsoft.com") }, http.StatusBadRequest, "invalid_grant"},
		{"v2 without scope", "/common/oauth2/v2.0/token", func(f url.Values) { f.Del("resource") }, http.StatusBadRequest, "invalid_grant"},
		{"wrong secret", "/common/oauth2/token", func(f url.Values) { f.Set("client_secret", "nope") }, http.StatusUnauthorized, "invalid_client"},
		{"wrong grant", "/common/oauth2/token", func(f url.Values) { f.Set("grant_type", "client_credentials") }, http.StatusBadRequest, "unsupported_grant_type"},
		{"unknown refresh token", "/common/oauth2/token", func(f url.Values) { f.Set("refresh_token", "pctest-refresh-99") }, http.StatusBadRequest, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustServer(t, Options{Customers: 1})
			old := s.RefreshToken()
			f := goodForm(s)
			tt.edit(f)
			status, a := exchange(t, s, tt.path, f)
			if status != tt.status || a.Error != tt.wantError {
				t.Fatalf("status=%d error=%q (%s), want %d %q", status, a.Error, a.ErrorDescription, tt.status, tt.wantError)
			}
			if tt.wantError != "" {
				if !strings.HasPrefix(a.ErrorDescription, "AADSTS") {
					t.Errorf("error_description %q, want an AADSTS code", a.ErrorDescription)
				}
				if s.RefreshToken() != old || s.Stats().TokenRefreshes != 0 {
					t.Errorf("a failed exchange rotated the refresh token or counted a refresh")
				}
				return
			}
			if a.TokenType != "Bearer" || a.AccessToken == "" || a.RefreshToken == "" || a.RefreshToken == old || a.RefreshToken != s.RefreshToken() {
				t.Errorf("answer %+v, want a Bearer token and a new refresh token", a)
			}
			if s.Stats().TokenRefreshes != 1 {
				t.Errorf("TokenRefreshes=%d, want 1", s.Stats().TokenRefreshes)
			}
			if resp, body := getWith(t, s, "/v1/customers", a.AccessToken); resp.StatusCode != http.StatusOK {
				t.Errorf("API call with the new access token: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestServer_TokenRotation(t *testing.T) {
	s := mustServer(t, Options{Customers: 1})
	f := goodForm(s)
	if status, a := exchange(t, s, "/common/oauth2/token", f); status != http.StatusOK || a.ExpiresIn != "3599" {
		t.Fatalf("first exchange: %d %+v, want 200 with expires_in \"3599\" (a string)", status, a)
	}
	if status, a := exchange(t, s, "/common/oauth2/token", f); status != http.StatusBadRequest || a.Error != "invalid_grant" {
		t.Fatalf("reusing the old refresh token: %d %+v, want 400 invalid_grant", status, a)
	}
	v2 := goodForm(s)
	v2.Del("resource")
	v2.Set("scope", PartnerCenterScope)
	status, a := exchange(t, s, strings.TrimPrefix(s.TokenV2URL(), s.URL()), v2)
	if status != http.StatusOK || a.ExpiresIn != float64(3599) {
		t.Fatalf("v2.0 exchange with the rotated token: %d %+v, want 200 with expires_in 3599 (a number)", status, a)
	}
	if got, want := s.Stats().TokenRefreshes, int64(2); got != want {
		t.Errorf("TokenRefreshes=%d, want %d", got, want)
	}
}

func TestServer_ExpireTokens(t *testing.T) {
	s := mustServer(t, Options{Customers: 1})
	_, a := exchange(t, s, "/common/oauth2/token", goodForm(s))
	if resp, _ := getWith(t, s, "/v1/customers", a.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh token: status %d", resp.StatusCode)
	}
	s.ExpireTokens()
	resp, body := getWith(t, s, "/v1/customers", a.AccessToken)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"code":"900401"`) {
		t.Fatalf("expired token: %d %s, want 401 code 900401", resp.StatusCode, body)
	}
	if resp, _ := get(t, s, "/v1/customers"); resp.StatusCode != http.StatusOK {
		t.Errorf("static token after ExpireTokens: status %d, want 200", resp.StatusCode)
	}
	_, a = exchange(t, s, "/common/oauth2/token", goodForm(s))
	if resp, body := getWith(t, s, "/v1/customers", a.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("refreshed token: %d %s, want 200", resp.StatusCode, body)
	}
	if got, want := s.Stats().Unauthorized, int64(1); got != want {
		t.Errorf("Unauthorized=%d, want %d", got, want)
	}
}

func TestServer_Unauthorized(t *testing.T) {
	s := mustServer(t, Options{Customers: 1})
	tests := []struct {
		name     string
		auth     string
		mfa      bool
		wantCode string
	}{
		{"no header", "", false, "900401"},
		{"wrong token", "Bearer nope", false, "900401"},
		{"basic scheme", "Basic " + DefaultToken, false, "900401"},
		{"mfa required", "Bearer " + DefaultToken, true, "900421"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.RequireMFA(tt.mfa)
			defer s.RequireMFA(false)
			req := newRequest(t, s, "/v1/customers")
			req.Header.Set("Authorization", tt.auth)
			resp, body := do(t, req)
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), `"code":"`+tt.wantCode+`"`) {
				t.Errorf("status %d body %s, want 401 with code %s", resp.StatusCode, body, tt.wantCode)
			}
		})
	}
}
