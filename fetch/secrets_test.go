package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// syncBuffer is a bytes.Buffer safe for concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecrets_NeverInErrorsOrLogs runs succeeding and failing flows with
// debug logging and searches every error text and log line for the client
// secret, the refresh tokens and the access tokens.
func TestSecrets_NeverInErrorsOrLogs(t *testing.T) {
	srv := mustPCTest(t, 60)
	all := srv.Customers()
	srv.SetFaults(pctest.Faults{
		Customers: map[string]pctest.Fault{all[0].ID: pctest.Fault403, all[1].ID: pctest.FaultMalformed, all[2].ID: pctest.FaultTruncated},
		FailFirst: map[string]int{all[3].ID: 2},
		Rates:     map[pctest.Fault]float64{pctest.Fault500: 0.1, pctest.FaultReset: 0.05},
	})
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error
	secrets := map[string]string{"client secret": testClientSecret, "first refresh token": srv.RefreshToken()}

	// A successful refresh-token sweep with faults and a 401 in the middle.
	path := mustTokenFile(t, srv.RefreshToken())
	ts, err := NewRefreshTokenSource(RefreshConfig{TokenURL: srv.TokenURL(), ClientID: pctest.DefaultClientID, ClientSecret: testClientSecret, Store: NewFileTokenStore(path)})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := mustClient(t, srv.URL(), Options{Token: ts, Logger: logger, MaxAttempts: 3})
	access, err := ts.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	secrets["first access token"] = access
	customers, err := c.ListCustomers(context.Background())
	errs = append(errs, err)
	n := 0
	errs = append(errs, c.Sweep(context.Background(), customers, func(r Result) error {
		errs = append(errs, r.Err)
		if n++; n == 20 {
			srv.ExpireTokens()
		}
		return nil
	}))
	access2, _ := ts.Token(context.Background())
	secrets["second access token"] = access2
	secrets["rotated refresh token"] = srv.RefreshToken()

	// A refused refresh (wrong secret), a refused token, MFA.
	bad, _ := NewRefreshTokenSource(RefreshConfig{TokenURL: srv.TokenURL(), ClientID: pctest.DefaultClientID, ClientSecret: testClientSecret + "-wrong",
		Store: NewFileTokenStore(mustTokenFile(t, srv.RefreshToken()))})
	cBad, _ := mustClient(t, srv.URL(), Options{Token: bad, Logger: logger})
	_, err = cBad.Agreements(context.Background(), all[5].ID)
	errs = append(errs, err)
	secrets["wrong secret"] = testClientSecret + "-wrong"
	cStatic, _ := mustClient(t, srv.URL(), Options{Token: StaticToken("static-token-Kx81"), Logger: logger})
	secrets["static token"] = "static-token-Kx81"
	_, err = cStatic.Agreements(context.Background(), all[5].ID)
	errs = append(errs, err)
	srv.RequireMFA(true)
	_, err = c.Agreements(context.Background(), all[5].ID)
	errs = append(errs, err)
	srv.RequireMFA(false)
	// An Entra answer that echoes the secret back.
	echo := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		writeJSON(w, 400, fmt.Appendf(nil, `{"error":"invalid_client","error_description":"bad secret %s for %s"}`, r.PostForm.Get("client_secret"), r.PostForm.Get("refresh_token")))
	}))
	echoSrc, _ := NewRefreshTokenSource(RefreshConfig{TokenURL: echo.URL + "/t/oauth2/token", ClientID: "c", ClientSecret: testClientSecret, Store: NewFileTokenStore(path)})
	_, err = echoSrc.Token(context.Background())
	errs = append(errs, err)

	var text strings.Builder
	failures := 0
	for _, e := range errs {
		if e != nil {
			failures++
			text.WriteString(e.Error() + "\n")
			_, _, msg := ErrorFields(e)
			text.WriteString(msg + "\n")
			var ae *APIError
			if errors.As(e, &ae) {
				text.WriteString(fmt.Sprintf("%+v\n", *ae))
			}
		}
	}
	text.WriteString(logs.String())
	if failures < 6 || !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("only %d failures and logs %q: the flows did not exercise the error paths", failures, logs.String())
	}
	for name, s := range secrets {
		if s == "" {
			t.Fatalf("%s is empty", name)
		}
		if strings.Contains(text.String(), s) {
			t.Errorf("the %s appears in errors or logs", name)
		}
	}
}
