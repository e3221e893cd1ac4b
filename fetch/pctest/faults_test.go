package pctest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawDo sends req on a fresh connection and returns what the client saw,
// including transport and body-read errors.
func rawDo(req *http.Request, timeout time.Duration) (status int, body []byte, err error) {
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

func TestServer_Faults(t *testing.T) {
	type errBody struct {
		Code        string `json:"code"`
		Description string `json:"description"`
		ErrorName   string `json:"errorName"`
		IsRetryable *bool  `json:"isRetryable"`
	}
	jsonError := func(status int, retryable bool) func(t *testing.T, got int, body []byte, err error) {
		return func(t *testing.T, got int, body []byte, err error) {
			if err != nil || got != status {
				t.Fatalf("status=%d err=%v, want %d", got, err, status)
			}
			var e errBody
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if e.Code == "" || e.Description == "" || e.ErrorName == "" || e.IsRetryable == nil || *e.IsRetryable != retryable {
				t.Errorf("error body %s, want code, description, errorName and isRetryable:%v", body, retryable)
			}
		}
	}
	tests := []struct {
		fault Fault
		check func(t *testing.T, status int, body []byte, err error)
	}{
		{Fault500, jsonError(http.StatusInternalServerError, true)},
		{Fault503, jsonError(http.StatusServiceUnavailable, true)},
		{Fault403, jsonError(http.StatusForbidden, false)},
		{Fault404, jsonError(http.StatusNotFound, false)},
		{FaultReset, func(t *testing.T, status int, _ []byte, err error) {
			if err == nil {
				t.Fatalf("status=%d, want a transport error", status)
			}
		}},
		{FaultTimeout, func(t *testing.T, status int, _ []byte, err error) {
			var te interface{ Timeout() bool }
			if err == nil || !errors.As(err, &te) || !te.Timeout() {
				t.Fatalf("status=%d err=%v, want a client timeout", status, err)
			}
		}},
		{FaultMalformed, func(t *testing.T, status int, body []byte, err error) {
			if err != nil || status != http.StatusOK {
				t.Fatalf("status=%d err=%v, want 200", status, err)
			}
			if json.Valid(body) || !strings.Contains(string(body), `"SomeEmail@example.com"`) {
				t.Errorf("body is valid JSON or not the seed example: %q", body)
			}
		}},
		{FaultTruncated, func(t *testing.T, status int, body []byte, err error) {
			if status != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("status=%d err=%v, want 200 and an unexpected EOF", status, err)
			}
			if len(body) == 0 || json.Valid(body) {
				t.Errorf("body %q, want half a JSON document", body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.fault), func(t *testing.T) {
			s := mustServer(t, Options{Customers: 10})
			cs := s.Customers()
			victim, other := cs[0], cs[1]
			s.SetFaults(Faults{Customers: map[string]Fault{strings.ToUpper(victim.ID): tt.fault}})

			status, body, err := rawDo(newRequest(t, s, "/v1/customers/"+victim.ID+"/agreements?agreementType=*"), 300*time.Millisecond)
			tt.check(t, status, body, err)
			status, body, err = rawDo(newRequest(t, s, "/v1/customers/"+victim.ID+"/directSignedMicrosoftCustomerAgreementStatus"), 300*time.Millisecond)
			tt.check(t, status, body, err)
			if got, want := s.Stats().Faults, int64(2); got != want {
				t.Errorf("Stats().Faults=%d, want %d", got, want)
			}
			if status, body, err := rawDo(newRequest(t, s, "/v1/customers/"+other.ID+"/agreements?agreementType=*"), 5*time.Second); err != nil || status != http.StatusOK {
				t.Errorf("other customer: status=%d err=%v body=%s, want 200", status, err, body)
			}
		})
	}
}

func TestServer_FailFirst(t *testing.T) {
	s := mustServer(t, Options{Customers: 5})
	id := s.Customers()[2].ID
	s.SetFaults(Faults{FailFirst: map[string]int{id: 2}})
	for i, want := range []int{429, 429, 200, 200} {
		resp, body := get(t, s, "/v1/customers/"+id+"/agreements?agreementType=*")
		if resp.StatusCode != want {
			t.Fatalf("call %d: status=%d, want %d: %s", i, resp.StatusCode, want, body)
		}
		if want == 429 && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("call %d: Retry-After=%q, want 1", i, resp.Header.Get("Retry-After"))
		}
	}
	if st := s.Stats(); st.Throttled != 2 || st.Faults != 0 {
		t.Errorf("Throttled=%d Faults=%d, want 2 and 0", st.Throttled, st.Faults)
	}
}

func TestServer_FaultRates(t *testing.T) {
	statuses := func() []int {
		s := mustServer(t, Options{Customers: 20, Seed: 42})
		s.SetFaults(Faults{Rates: map[Fault]float64{Fault500: 0.3, Fault503: 0.2}})
		var out []int
		for i := range 200 {
			resp, _ := get(t, s, "/v1/customers/"+s.Customers()[i%20].ID+"/agreements?agreementType=*")
			out = append(out, resp.StatusCode)
		}
		return out
	}
	a, b := statuses(), statuses()
	count := map[int]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: status %d vs %d on a server with the same seed", i, a[i], b[i])
		}
		count[a[i]]++
	}
	if count[500] < 30 || count[500] > 90 || count[503] < 15 || count[503] > 65 || count[200] < 60 {
		t.Errorf("statuses over 200 requests=%v, want about 60 x 500, 40 x 503, 100 x 200", count)
	}
}

func TestServer_Latency(t *testing.T) {
	s := mustServer(t, Options{Customers: 2})
	s.SetFaults(Faults{Latency: 50 * time.Millisecond})
	start := time.Now()
	resp, _ := get(t, s, "/v1/customers?size=10")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status=%d", resp.StatusCode)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Errorf("request took %v, want at least the 50ms latency", took)
	}
}

func TestServer_CloseReleasesHeldRequests(t *testing.T) {
	s := New(Options{Customers: 2})
	id := s.Customers()[0].ID
	s.SetFaults(Faults{Customers: map[string]Fault{id: FaultTimeout}})
	errc := make(chan error, 1)
	req := newRequest(t, s, "/v1/customers/"+id+"/agreements?agreementType=*")
	go func() {
		_, _, err := rawDo(req, 0)
		errc <- err
	}()
	waitUntil(t, "the held request", func() bool { return s.Stats().Agreements > 0 })
	s.Close()
	<-errc
}
