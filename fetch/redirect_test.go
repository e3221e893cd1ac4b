package fetch

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// headerRecorder is a server that records the Authorization header of
// every request it gets and answers an empty agreements list.
type headerRecorder struct {
	mu   sync.Mutex
	auth []string
	url  string
}

func mustHeaderRecorder(tb testing.TB) *headerRecorder {
	tb.Helper()
	hr := &headerRecorder{}
	srv := mustServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hr.mu.Lock()
		hr.auth = append(hr.auth, r.Header.Get("Authorization")+r.Header.Get("Cookie"))
		hr.mu.Unlock()
		writeJSON(w, 200, []byte(`{"totalCount":0,"items":[]}`))
	}))
	hr.url = srv.URL
	return hr
}

func (hr *headerRecorder) seen() []string {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	return append([]string(nil), hr.auth...)
}

// mustRedirector answers every request with a 302 (or code) to target.
func mustRedirector(tb testing.TB, code int, target string) (string, *int) {
	tb.Helper()
	var mu sync.Mutex
	n := 0
	srv := mustServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		http.Redirect(w, r, target, code)
	}))
	return srv.URL, &n
}

func TestClient_Agreements_RedirectNeverCarriesCredentials(t *testing.T) {
	for _, own := range []bool{false, true} {
		name := map[bool]string{false: "default client", true: "caller's client"}[own]
		t.Run(name+", another host", func(t *testing.T) {
			other := mustHeaderRecorder(t)
			base, _ := mustRedirector(t, http.StatusFound, other.url+"/v1/customers/c1/agreements?agreementType=x")
			opts := Options{}
			var hc *http.Client
			if own {
				hc = &http.Client{}
				opts.HTTPClient = hc
			}
			c, _ := mustClient(t, base, opts)
			if _, err := c.Agreements(context.Background(), "c1"); err != nil {
				t.Fatal(err)
			}
			if got := other.seen(); len(got) != 1 || got[0] != "" {
				t.Fatalf("the other host got credentials %q, want one request without any", got)
			}
			if own && hc.CheckRedirect != nil {
				t.Fatal("the caller's http.Client was changed")
			}
		})
		t.Run(name+", plain http outside loopback", func(t *testing.T) {
			base, n := mustRedirector(t, http.StatusFound, "http://169.254.169.254/latest/meta-data/iam/security-credentials/")
			opts := Options{Timeout: 2 * time.Second, MaxAttempts: 3}
			if own {
				opts.HTTPClient = &http.Client{}
			}
			c, _ := mustClient(t, base, opts)
			_, err := c.Agreements(context.Background(), "c1")
			var re *RedirectError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "http://169.254.169.254") {
				t.Fatalf("Agreements() error = %v, want a refused redirect", err)
			}
			if _, code, _ := ErrorFields(err); code != "redirect_refused" {
				t.Fatalf("ErrorFields() code = %q, want redirect_refused", code)
			}
			if *n != 1 {
				t.Fatalf("requests = %d, want 1 (a refused redirect is not retried)", *n)
			}
		})
	}
	t.Run("same host keeps the token", func(t *testing.T) {
		var mu sync.Mutex
		var auth []string
		srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			auth = append(auth, r.Header.Get("Authorization"))
			mu.Unlock()
			if !strings.HasPrefix(r.URL.Path, "/moved/") {
				http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
				return
			}
			writeJSON(w, 200, []byte(`{"totalCount":0,"items":[]}`))
		}))
		c, _ := mustClient(t, srv.URL, Options{})
		if _, err := c.Agreements(context.Background(), "c1"); err != nil {
			t.Fatal(err)
		}
		if len(auth) != 2 || auth[1] != "Bearer "+testToken {
			t.Fatalf("Authorization = %q, want the token on both requests to the same host", auth)
		}
	})
}

func TestRefreshTokenSource_Token_RedirectNeverCarriesTheForm(t *testing.T) {
	other := mustHeaderRecorder(t)
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		base, _ := mustRedirector(t, code, other.url+"/steal")
		ts, err := NewRefreshTokenSource(RefreshConfig{
			TokenURL: base + "/tenant/oauth2/token", ClientID: "cid", ClientSecret: rtSecret,
			Store: NewFileTokenStore(mustTokenFile(t, rtStored)),
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ts.Token(context.Background())
		var re *RedirectError
		if !errors.As(err, &re) {
			t.Fatalf("Token() after a %d error = %v, want a refused redirect", code, err)
		}
	}
	if got := other.seen(); len(got) != 0 {
		t.Fatalf("the other host got %d requests, want none (the form holds the secret)", len(got))
	}
}
