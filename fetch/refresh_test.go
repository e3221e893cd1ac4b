package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	rtSecret  = "s3cr3t-Value~42"
	rtStored  = "0.AAAA-stored-refresh-token"
	rtRotated = "0.BBBB-rotated-refresh-token"
)

// tokenEndpoint is an httptest token endpoint: it answers with each of
// steps in turn (the last repeats); a step with status 0 resets the
// connection. Exchanges are counted.
type tokenEndpoint struct {
	mu    sync.Mutex
	posts int
	url   string
}

func mustTokenEndpoint(tb testing.TB, steps []canned, during func()) *tokenEndpoint {
	tb.Helper()
	te := &tokenEndpoint{}
	srv := mustServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		te.mu.Lock()
		n := te.posts
		te.posts++
		te.mu.Unlock()
		if during != nil {
			during()
		}
		s := steps[min(n, len(steps)-1)]
		if s.status == 0 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		for k, v := range s.header {
			w.Header().Set(k, v)
		}
		writeJSON(w, s.status, []byte(s.body))
	}))
	te.url = srv.URL + "/tenant/oauth2/token"
	return te
}

func (te *tokenEndpoint) count() int {
	te.mu.Lock()
	defer te.mu.Unlock()
	return te.posts
}

// mustRefresh returns a refresh-token source against te keeping its token
// in path, whose waits are recorded, not slept.
func mustRefresh(tb testing.TB, te *tokenEndpoint, path string) (TokenSource, *sleepRecorder) {
	tb.Helper()
	ts, err := NewRefreshTokenSource(RefreshConfig{
		TokenURL: te.url, ClientID: "cid", ClientSecret: rtSecret, Store: NewFileTokenStore(path),
	})
	if err != nil {
		tb.Fatal(err)
	}
	rec := &sleepRecorder{}
	ts.(*refreshSource).sleep = rec.sleep
	return ts, rec
}

var tokenOK = canned{status: 200, body: `{"token_type":"Bearer","expires_in":"3599","access_token":"` + testToken + `","refresh_token":"` + rtRotated + `"}`}

func TestRefreshTokenSource_Token_RetriesTheTokenEndpoint(t *testing.T) {
	te := mustTokenEndpoint(t, []canned{
		{status: 503, body: `<html><title>Service Unavailable</title></html>`, header: map[string]string{"Retry-After": "7"}},
		{status: 0}, // connection reset
		{status: 500, body: `{"error":"server_error","error_description":"AADSTS90033: A transient error has occurred."}`},
		{status: 429, body: `{"error":"temporarily_unavailable"}`},
		tokenOK,
	}, nil)
	path := mustTokenFile(t, rtStored)
	ts, rec := mustRefresh(t, te, path)
	tok, err := ts.Token(context.Background())
	if err != nil || tok != testToken {
		t.Fatalf("Token() = %q, %v; want the token after retries", tok, err)
	}
	if got := te.count(); got != 5 {
		t.Fatalf("exchanges = %d, want 5", got)
	}
	waits := rec.all()
	if len(waits) != 4 || waits[0] != 7*time.Second {
		t.Fatalf("waits = %v, want 4, the first the 7 s Retry-After asked", waits)
	}
	if b, _ := os.ReadFile(path); strings.TrimSpace(string(b)) != rtRotated {
		t.Fatalf("stored token = %q, want the rotated one", b)
	}
}

func TestClient_Agreements_TokenEndpointDownIsNoAuthFailure(t *testing.T) {
	te := mustTokenEndpoint(t, []canned{{status: 503, body: `{"error":"temporarily_unavailable","error_description":"AADSTS50196: The server is busy."}`}}, nil)
	ts, rec := mustRefresh(t, te, mustTokenFile(t, rtStored))
	rs := mustRouteServer(t, map[string][]canned{agreementsPath("c1"): {{status: 200, body: `{"totalCount":0,"items":[]}`}}})
	c, _ := mustClient(t, rs.url, Options{Token: ts})
	_, err := c.Agreements(context.Background(), "c1")
	if err == nil || errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Agreements() error = %v, want a failure that is not ErrUnauthorized (exit 4)", err)
	}
	if !errors.Is(err, ErrNoToken) || !isFatal(err) {
		t.Fatalf("Agreements() error = %v, want ErrNoToken, which stops a sweep", err)
	}
	for _, want := range []string{"503 Service Unavailable", "temporarily_unavailable", "AADSTS50196"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	if got := te.count(); got != DefaultMaxAttempts || len(rec.all()) != DefaultMaxAttempts-1 {
		t.Fatalf("exchanges = %d, waits = %v; want %d attempts", got, rec.all(), DefaultMaxAttempts)
	}
}

func TestClient_Agreements_TokenRefusalIsAuthFailure(t *testing.T) {
	tests := []struct {
		name string
		step canned
		want []string
	}{
		{name: "invalid_grant", step: canned{status: 400, body: `{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.\r\nTrace ID: 1","error_codes":[70008]}`},
			want: []string{"400 Bad Request", "invalid_grant", "AADSTS70008", "expired due to inactivity", "consent again"}},
		{name: "invalid_client", step: canned{status: 401, body: `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided: ` + rtSecret + `."}`},
			want: []string{"401 Unauthorized", "invalid_client", "AADSTS7000215"}},
		{name: "interaction_required", step: canned{status: 400, body: `{"error":"interaction_required","error_description":"AADSTS50076: Due to a configuration change made by your administrator, you must use multi-factor authentication.","error_codes":[50076]}`},
			want: []string{"interaction_required", "AADSTS50076", "multi-factor"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := mustTokenEndpoint(t, []canned{tt.step}, nil)
			ts, _ := mustRefresh(t, te, mustTokenFile(t, rtStored))
			rs := mustRouteServer(t, nil)
			c, _ := mustClient(t, rs.url, Options{Token: ts})
			_, err := c.Agreements(context.Background(), "c1")
			if !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("Agreements() error = %v, want ErrUnauthorized", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), rtSecret) || strings.Contains(err.Error(), rtStored) {
				t.Fatalf("error %q leaks a secret", err)
			}
			if got := te.count(); got != 1 {
				t.Fatalf("exchanges = %d, want 1 (a refusal is not retried)", got)
			}
		})
	}
}

func TestRefreshTokenSource_Token_FolderNotWritable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc/self/fd, a folder nobody (root included) can create files in")
	}
	real := mustTokenFile(t, rtStored)
	f, err := os.Open(real)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The token file read through /proc/self/fd: readable, but its folder
	// takes no new file.
	path := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	te := mustTokenEndpoint(t, []canned{tokenOK}, nil)
	ts, _ := mustRefresh(t, te, path)
	_, err = ts.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "/proc/self/fd") || !strings.Contains(err.Error(), "not writable") {
		t.Fatalf("Token() error = %v, want one naming the unwritable folder", err)
	}
	if errors.Is(err, ErrUnauthorized) {
		t.Fatalf("Token() error = %v is ErrUnauthorized; the token was not refused", err)
	}
	if got := te.count(); got != 0 {
		t.Fatalf("exchanges = %d, want 0: the stored refresh token must not be used up", got)
	}
	if b, _ := os.ReadFile(real); strings.TrimSpace(string(b)) != rtStored {
		t.Fatalf("stored token = %q, want it unchanged", b)
	}
}

func TestRefreshTokenSource_Token_SaveFailsKeepsTheNewToken(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	dir := filepath.Join(t.TempDir(), "secrets")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "refresh-token")
	if err := os.WriteFile(path, []byte(rtStored+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The folder goes away while the exchange runs (an unmounted volume):
	// the rotated token cannot be saved where it belongs.
	te := mustTokenEndpoint(t, []canned{tokenOK}, func() { os.RemoveAll(dir) })
	ts, _ := mustRefresh(t, te, path)
	_, err := ts.Token(context.Background())
	if err == nil {
		t.Fatal("Token() succeeded, want an error saying where the new refresh token is")
	}
	if strings.Contains(err.Error(), rtRotated) || strings.Contains(err.Error(), rtStored) {
		t.Fatalf("error %q holds a refresh token", err)
	}
	rescued := filepath.Join(cache, "mcawatch")
	entries, _ := os.ReadDir(rescued)
	if len(entries) != 1 {
		t.Fatalf("%s holds %v, want the one rescued token file (error: %v)", rescued, entries, err)
	}
	where := filepath.Join(rescued, entries[0].Name())
	for _, want := range []string{where, path, "mv "} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	b, rerr := os.ReadFile(where)
	if rerr != nil || strings.TrimSpace(string(b)) != rtRotated {
		t.Fatalf("rescued file = %q, %v; want the rotated token", b, rerr)
	}
	if fi, _ := os.Stat(where); fi.Mode().Perm() != 0o600 {
		t.Fatalf("rescued file mode = %v, want 0600", fi.Mode().Perm())
	}
	if _, err2 := ts.Token(context.Background()); err2 == nil || te.count() != 1 {
		t.Fatalf("second Token() = %v after %d exchanges; want the same failure and no second exchange", err2, te.count())
	}
}
