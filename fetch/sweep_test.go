package fetch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// mustPCTest starts a fake Partner Center with n customers.
func mustPCTest(tb testing.TB, n int) *pctest.Server {
	tb.Helper()
	srv := pctest.New(pctest.Options{Customers: n, ClientSecret: testClientSecret})
	tb.Cleanup(srv.Close)
	return srv
}

const testClientSecret = "pctest-client-secret-Zq9~x"

// sweepAll runs a sweep over every customer of srv and returns the results
// by customer id, failing on a concurrent callback.
func sweepAll(tb testing.TB, c *Client, srv *pctest.Server) (map[string]Result, error) {
	tb.Helper()
	customers, err := c.ListCustomers(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	got := map[string]Result{}
	var inCallback atomic.Int32
	err = c.Sweep(context.Background(), customers, func(r Result) error {
		if inCallback.Add(1) != 1 {
			tb.Error("callback called concurrently")
		}
		defer inCallback.Add(-1)
		if _, dup := got[r.Customer.ID]; dup {
			tb.Errorf("two results for %s", r.Customer.ID)
		}
		got[r.Customer.ID] = r
		return nil
	})
	return got, err
}

func TestClient_Sweep(t *testing.T) {
	srv := mustPCTest(t, 120)
	all := srv.Customers()
	forbidden, missing, malformed, throttled := all[3].ID, all[4].ID, all[5].ID, all[6].ID
	srv.SetFaults(pctest.Faults{
		Customers: map[string]pctest.Fault{forbidden: pctest.Fault403, missing: pctest.Fault404, malformed: pctest.FaultMalformed},
		FailFirst: map[string]int{throttled: 1},
	})
	c, rec := mustClient(t, srv.URL(), Options{Token: StaticToken(pctest.DefaultToken), Concurrency: 8})
	got, err := sweepAll(t, c, srv)
	if err != nil {
		t.Fatalf("Sweep() error = %v", err)
	}
	if len(got) != len(all) {
		t.Fatalf("Sweep() gave %d results, want one for each of %d customers", len(got), len(all))
	}
	for id, want := range map[string]struct {
		status int
		code   string
	}{forbidden: {403, "2000"}, missing: {404, ""}, malformed: {200, "malformed_body"}} {
		r := got[id]
		status, code, msg := ErrorFields(r.Err)
		if r.Err == nil || status != want.status || (want.code != "" && code != want.code) || msg == "" {
			t.Errorf("customer %s: ErrorFields = %d, %q, %q; want status %d code %q", id, status, code, msg, want.status, want.code)
		}
		if r.Attempts != 1 {
			t.Errorf("customer %s: %d attempts, want 1 (not retried)", id, r.Attempts)
		}
	}
	r := got[throttled]
	if r.Err != nil || r.Attempts < 2 {
		t.Fatalf("FailFirst customer: Err %v after %d attempts, want success after a retry", r.Err, r.Attempts)
	}
	if ids := srv.RequestIDs(throttled); len(ids) < 2 || ids[0] != ids[1] {
		t.Fatalf("FailFirst customer's MS-RequestIds = %v, want the first reused by its retry", ids)
	}
	if len(rec.all()) == 0 || rec.all()[0] < time.Second {
		t.Fatalf("waits = %v, want the 429's Retry-After of 1s", rec.all())
	}
	for _, cu := range all {
		r := got[cu.ID]
		if r.Err != nil {
			continue
		}
		latest, has := cu.Latest(pctest.TypeMCA)
		switch {
		case has && (len(r.Agreements) == 0 || !r.Agreements[0].DateAgreed.Equal(latest.DateAgreed)):
			t.Errorf("customer %s: newest MCA %v, want %v", cu.ID, r.Agreements, latest.DateAgreed)
		case has && r.DirectSigned != nil:
			t.Errorf("customer %s has an MCA but direct-sign status was asked", cu.ID)
		case !has && (r.DirectSigned == nil || *r.DirectSigned != cu.DirectSigned):
			t.Errorf("customer %s: DirectSigned %v, want %v", cu.ID, r.DirectSigned, cu.DirectSigned)
		}
		for _, a := range r.Agreements {
			if a.Type != pctest.TypeMCA {
				t.Errorf("customer %s: untracked type %s kept", cu.ID, a.Type)
			}
		}
	}
	st := srv.Stats()
	if st.Violations != 0 {
		t.Fatalf("pctest saw %d header violations: %v", st.Violations, st.ViolationLog)
	}
	if ids := srv.CorrelationIDs(); len(ids) != 1 || ids[0] != c.CorrelationID() {
		t.Fatalf("correlation ids = %v, want only %s", ids, c.CorrelationID())
	}
}

func TestClient_Sweep_ExpireTokensMidSweep(t *testing.T) {
	srv := mustPCTest(t, 300)
	srv.SetFaults(pctest.Faults{Latency: 2 * time.Millisecond})
	ts, err := NewRefreshTokenSource(RefreshConfig{
		TokenURL: srv.TokenURL(), ClientID: pctest.DefaultClientID, ClientSecret: testClientSecret,
		Store: NewFileTokenStore(mustTokenFile(t, srv.RefreshToken())),
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := mustClient(t, srv.URL(), Options{Token: ts, Concurrency: 16})
	customers, err := c.ListCustomers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, errs := 0, 0
	err = c.Sweep(context.Background(), customers, func(r Result) error {
		n++
		if n == 50 {
			srv.ExpireTokens()
		}
		// pctest gives some customers no reseller relationship (403
		// code 20002): their answer, not a failure of the refresh.
		if r.Err != nil && !errors.Is(r.Err, ErrNoRelationship) {
			errs++
		}
		return nil
	})
	if err != nil || n != len(customers) || errs != 0 {
		t.Fatalf("Sweep() = %v with %d results, %d errors; want %d clean results", err, n, errs, len(customers))
	}
	st := srv.Stats()
	if st.TokenRefreshes != 2 {
		t.Fatalf("token refreshes = %d, want 2 (the first token and exactly one after the expiry)", st.TokenRefreshes)
	}
	if st.Unauthorized == 0 {
		t.Fatal("no 401 was seen: the expiry came too late to test anything")
	}
}

func TestClient_Sweep_Cancel(t *testing.T) {
	srv := mustPCTest(t, 200)
	hold := map[string]pctest.Fault{}
	all := srv.Customers()
	for _, cu := range all[10:] {
		hold[cu.ID] = pctest.FaultTimeout
	}
	srv.SetFaults(pctest.Faults{Customers: hold})
	c, _ := mustClient(t, srv.URL(), Options{Token: StaticToken(pctest.DefaultToken), Concurrency: 4, Timeout: time.Minute})
	var customers []Customer
	for _, cu := range all {
		customers = append(customers, Customer{ID: cu.ID})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var results atomic.Int32
	go func() {
		done <- c.Sweep(ctx, customers, func(Result) error { results.Add(1); return nil })
	}()
	// Wait until the four workers are all held by the server, then cancel.
	waitUntil(t, "14 agreements requests", func() bool { return srv.Stats().Agreements >= 14 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Sweep() error = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Sweep() did not return after cancellation: in-flight requests were not cancelled")
	}
	if got := srv.Stats().Agreements; got > 14 {
		t.Fatalf("agreements requests = %d, want 14: no customer may start after cancellation", got)
	}
	if got := results.Load(); got > 10 {
		t.Fatalf("results = %d, want at most the 10 answered customers", got)
	}
}

func TestClient_Sweep_Stops(t *testing.T) {
	srv := mustPCTest(t, 100)
	c, _ := mustClient(t, srv.URL(), Options{Token: StaticToken(pctest.DefaultToken), Concurrency: 4})
	customers, err := c.ListCustomers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("callback error", func(t *testing.T) {
		stop := errors.New("disk full")
		calls := 0
		err := c.Sweep(context.Background(), customers, func(Result) error {
			calls++
			if calls == 5 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 5 {
			t.Fatalf("Sweep() = %v after %d calls, want the callback's error after 5", err, calls)
		}
	})
	t.Run("MFA required", func(t *testing.T) {
		srv.RequireMFA(true)
		defer srv.RequireMFA(false)
		var mu sync.Mutex
		calls := 0
		before := srv.Stats().Requests
		err := c.Sweep(context.Background(), customers, func(Result) error { mu.Lock(); calls++; mu.Unlock(); return nil })
		if !errors.Is(err, ErrMFARequired) || calls != 0 {
			t.Fatalf("Sweep() = %v with %d results, want ErrMFARequired and none", err, calls)
		}
		if got := srv.Stats().Requests - before; got > 8 {
			t.Fatalf("%d requests after the first 900421, want the sweep to stop", got)
		}
	})
}

func TestClient_ListCustomers_PCTest(t *testing.T) {
	srv := pctest.New(pctest.Options{Customers: 250, PageSize: 100})
	defer srv.Close()
	c, _ := mustClient(t, srv.URL(), Options{Token: StaticToken(pctest.DefaultToken), PageSize: 100})
	got, err := c.ListCustomers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := srv.Customers()
	if len(got) != len(want) {
		t.Fatalf("ListCustomers() = %d customers, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].CompanyName != want[i].CompanyName || got[i].Domain != want[i].Domain {
			t.Fatalf("customer %d = %+v, want %s %q", i, got[i], want[i].ID, want[i].CompanyName)
		}
	}
	st := srv.Stats()
	if st.CustomerPages != 3 || st.Violations != 0 {
		t.Fatalf("pages = %d, violations = %d %v; want 3 pages and no violations", st.CustomerPages, st.Violations, st.ViolationLog)
	}
}
