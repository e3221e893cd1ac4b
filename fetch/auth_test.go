package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// mustTokenFile writes tok to a 0600 file in t.TempDir and returns its path.
func mustTokenFile(tb testing.TB, tok string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "refresh-token")
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// mustRefreshSource returns a refresh-token source against srv's token
// endpoint (v1, or v2.0) keeping its token in a file.
func mustRefreshSource(tb testing.TB, srv *pctest.Server, v2 bool, now func() time.Time) (TokenSource, string) {
	tb.Helper()
	path := mustTokenFile(tb, srv.RefreshToken())
	tokenURL := srv.TokenURL()
	if v2 {
		tokenURL = srv.URL() + "/common/oauth2/v2.0/token"
	}
	ts, err := NewRefreshTokenSource(RefreshConfig{
		TokenURL: tokenURL, ClientID: pctest.DefaultClientID, ClientSecret: pctest.DefaultClientSecret,
		Store: NewFileTokenStore(path), Now: now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ts, path
}

func TestRefreshTokenSource_Token(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "v1 resource, expires_in string", true: "v2.0 scope, expires_in number"}[v2], func(t *testing.T) {
			srv := pctest.New(pctest.Options{Customers: 3})
			defer srv.Close()
			now := time.Date(2026, 11, 22, 4, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			ts, path := mustRefreshSource(t, srv, v2, clock)
			first, err := ts.Token(context.Background())
			if err != nil {
				t.Fatalf("Token() error = %v", err)
			}
			if first == "" {
				t.Fatal("Token() returned an empty token")
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSpace(string(b)), srv.RefreshToken(); got != want || got == "pctest-refresh-0" {
				t.Fatalf("stored refresh token = %q, want the rotated %q", got, want)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("token file mode = %v, want 0600", fi.Mode().Perm())
			}
			again, err := ts.Token(context.Background())
			if err != nil || again != first {
				t.Fatalf("second Token() = %q, %v; want the cached %q", again, err, first)
			}
			if got := srv.Stats().TokenRefreshes; got != 1 {
				t.Fatalf("refreshes = %d, want 1 (cached)", got)
			}
			now = now.Add(3599*time.Second - expiryMargin + time.Second)
			renewed, err := ts.Token(context.Background())
			if err != nil || renewed == first {
				t.Fatalf("Token() near expiry = %q, %v; want a new token", renewed, err)
			}
			if got := srv.Stats().TokenRefreshes; got != 2 {
				t.Fatalf("refreshes = %d, want 2 (renewed 5 minutes before expiry)", got)
			}
		})
	}
}

func TestRefreshTokenSource_Concurrent(t *testing.T) {
	srv := pctest.New(pctest.Options{Customers: 3})
	defer srv.Close()
	ts, _ := mustRefreshSource(t, srv, false, nil)
	var wg sync.WaitGroup
	tokens := make([]string, 32)
	for i := range tokens {
		wg.Go(func() {
			tok, err := ts.Token(context.Background())
			if err != nil {
				t.Error(err)
			}
			tokens[i] = tok
		})
	}
	wg.Wait()
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatalf("concurrent callers got different tokens %q and %q", tok, tokens[0])
		}
	}
	if got := srv.Stats().TokenRefreshes; got != 1 {
		t.Fatalf("refreshes = %d, want 1 shared by 32 callers", got)
	}
	ts.Invalidate("some-older-token")
	if tok, _ := ts.Token(context.Background()); tok != tokens[0] {
		t.Fatal("invalidating a token that is not current dropped the current one")
	}
	ts.Invalidate(tokens[0])
	if tok, _ := ts.Token(context.Background()); tok == tokens[0] {
		t.Fatal("Token() after Invalidate returned the refused token")
	}
}

func TestRefreshTokenSource_EntraErrors(t *testing.T) {
	const secret = "s3cr3t-Value~42"
	const refresh = "0.AAAA-refresh-token-value"
	tests := []struct {
		name    string
		status  int
		body    string
		wantMsg string
	}{
		{name: "invalid_grant", status: 400, body: `{"error":"invalid_grant","error_description":"AADSTS70000: grant is invalid.\r\nTrace ID: abc"}`, wantMsg: "consent again"},
		{name: "invalid_client echoing the secret", status: 401, body: `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret ` + secret + ` for ` + refresh + `"}`, wantMsg: "invalid_client"},
		{name: "html", status: 403, body: `<html>` + secret + `</html>`, wantMsg: "403 Forbidden"},
		{name: "no access token", status: 200, body: `{"token_type":"Bearer"}`, wantMsg: "no access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var form url.Values
			srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				form = r.PostForm
				writeJSON(w, tt.status, []byte(tt.body))
			}))
			ts, err := NewRefreshTokenSource(RefreshConfig{
				TokenURL: srv.URL + "/tenant/oauth2/token", ClientID: "cid", ClientSecret: secret,
				Store: NewFileTokenStore(mustTokenFile(t, refresh)),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Token() error = %v, want one mentioning %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), refresh) {
				t.Fatalf("error %q leaks the secret or refresh token", err)
			}
			if form.Get("refresh_token") != refresh || form.Get("client_secret") != secret || form.Get("grant_type") != "refresh_token" ||
				form.Get("resource") != partnerCenterResource {
				t.Fatalf("form = %v, want the refresh_token grant with resource", form)
			}
		})
	}
}

func TestNewRefreshTokenSource_Config(t *testing.T) {
	store := NewFileTokenStore(filepath.Join(t.TempDir(), "rt"))
	tests := []struct {
		name string
		cfg  RefreshConfig
	}{
		{name: "no tenant or url", cfg: RefreshConfig{ClientID: "c", ClientSecret: "s", Store: store}},
		{name: "plain http off loopback", cfg: RefreshConfig{TokenURL: "http://login.example.com/t/oauth2/token", ClientID: "c", ClientSecret: "s", Store: store}},
		{name: "no secret", cfg: RefreshConfig{TenantID: "t", ClientID: "c", Store: store}},
		{name: "no store", cfg: RefreshConfig{TenantID: "t", ClientID: "c", ClientSecret: "s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewRefreshTokenSource(tt.cfg); err == nil {
				t.Fatal("NewRefreshTokenSource() succeeded, want an error")
			}
		})
	}
	if _, err := NewRefreshTokenSource(RefreshConfig{TenantID: "t", ClientID: "c", ClientSecret: "s", Store: store}); err != nil {
		t.Fatalf("NewRefreshTokenSource with a tenant id: %v", err)
	}
}

func TestParseExpiresIn(t *testing.T) {
	for in, want := range map[string]time.Duration{
		`3599`: 3599 * time.Second, `"3599"`: 3599 * time.Second, `""`: time.Hour, ``: time.Hour, `-1`: time.Hour, `"x"`: time.Hour,
	} {
		if got := parseExpiresIn([]byte(in)); got != want {
			t.Errorf("parseExpiresIn(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestFileTokenStore_Save(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "refresh-token")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := NewFileTokenStore(path)
	if err := st.Save("new-token"); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load()
	if err != nil || got != "new-token" {
		t.Fatalf("Load() = %q, %v; want new-token", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("directory holds %d files, want only the token (no temp files)", len(entries))
	}
	if err := NewFileTokenStore(filepath.Join(dir, "missing", "rt")).Save("x"); err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
}

func TestClient_Unauthorized(t *testing.T) {
	srv := pctest.New(pctest.Options{Customers: 3})
	defer srv.Close()
	id := srv.Customers()[0].ID

	t.Run("refresh once on 401", func(t *testing.T) {
		ts, _ := mustRefreshSource(t, srv, false, nil)
		c, _ := mustClient(t, srv.URL(), Options{Token: ts})
		if _, err := c.Agreements(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		before := srv.Stats().TokenRefreshes
		srv.ExpireTokens()
		if _, err := c.Agreements(context.Background(), id); err != nil {
			t.Fatalf("Agreements() after ExpireTokens: %v", err)
		}
		if got := srv.Stats().TokenRefreshes - before; got != 1 {
			t.Fatalf("refreshes after a 401 = %d, want 1", got)
		}
	})
	t.Run("second 401 is ErrUnauthorized", func(t *testing.T) {
		c, _ := mustClient(t, srv.URL(), Options{Token: StaticToken("not-the-token")})
		before := srv.Stats().Unauthorized
		_, err := c.Agreements(context.Background(), id)
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("Agreements() error = %v, want ErrUnauthorized", err)
		}
		if got := srv.Stats().Unauthorized - before; got != 2 {
			t.Fatalf("401 answers = %d, want 2 (one retry)", got)
		}
	})
	t.Run("900421 says MFA", func(t *testing.T) {
		srv.RequireMFA(true)
		defer srv.RequireMFA(false)
		c, _ := mustClient(t, srv.URL(), Options{Token: StaticToken(pctest.DefaultToken)})
		_, err := c.Agreements(context.Background(), id)
		if !errors.Is(err, ErrMFARequired) {
			t.Fatalf("Agreements() error = %v, want ErrMFARequired", err)
		}
		for _, want := range []string{"MFA claim", "re-consent with MFA", "900421"} {
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error %q does not say %q", err, want)
			}
		}
	})
}
