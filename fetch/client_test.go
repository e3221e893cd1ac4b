package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestNew_BaseURL(t *testing.T) {
	tests := []struct {
		url     string
		wantErr bool
	}{
		{url: "https://api.partnercenter.microsoft.com"},
		{url: "https://api.partnercenter.microsoft.com/"},
		{url: "http://127.0.0.1:8080"},
		{url: "http://[::1]:8080"},
		{url: "http://localhost:1"},
		{url: "http://api.partnercenter.microsoft.com", wantErr: true},
		{url: "http://10.0.0.1", wantErr: true},
		{url: "ftp://127.0.0.1", wantErr: true},
		{url: "https://user:pw@example.com", wantErr: true},
		{url: "api.partnercenter.microsoft.com", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := New(Options{BaseURL: tt.url, Token: StaticToken("x")})
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%q) error = %v, wantErr %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestNew_Options(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a token source succeeded")
	}
	if _, err := New(Options{Token: StaticToken("x"), Types: []string{"MicrosoftCloudAgreement"}}); err == nil {
		t.Fatal("New with Required outside Types succeeded")
	}
	c, err := New(Options{Token: StaticToken("x")})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(c.CorrelationID()) {
		t.Fatalf("CorrelationID() = %q, want a GUID", c.CorrelationID())
	}
}

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestClient_Headers(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		writeJSON(w, 200, fixture(t, "relationship_request.json"))
	}))
	c, _ := mustClient(t, srv.URL, Options{Version: "1.2.3", CorrelationID: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"})
	for range 2 {
		u, err := c.RelationshipRequestURL(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u, "https://admin.microsoft.com/") {
			t.Fatalf("RelationshipRequestURL() = %q", u)
		}
	}
	for _, h := range got {
		for k, want := range map[string]string{
			"Authorization":                "Bearer " + testToken,
			"Accept":                       "application/json",
			"Ms-Correlationid":             "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
			"X-Locale":                     "en-US",
			"Ms-Partnercenter-Application": "mcawatch/1.2.3",
		} {
			if h.Get(k) != want {
				t.Errorf("header %s = %q, want %q", k, h.Get(k), want)
			}
		}
		if !guidRE.MatchString(h.Get("MS-RequestId")) {
			t.Errorf("MS-RequestId = %q, want a GUID", h.Get("MS-RequestId"))
		}
	}
	if got[0].Get("MS-RequestId") == got[1].Get("MS-RequestId") {
		t.Fatal("two logical requests shared one MS-RequestId")
	}
}

// pagedServer serves the 3-page customer fixtures, checking that pages 2
// and 3 carry their continuation tokens byte for byte.
func pagedServer(t *testing.T, loop bool) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.RequestURI()+" "+r.Header.Get("MS-ContinuationToken"))
		mu.Unlock()
		switch tok := r.Header.Get("MS-ContinuationToken"); {
		case r.URL.Path != "/v1/customers":
			http.NotFound(w, r)
		case tok == "":
			writeJSON(w, 200, fixture(t, "customers_page1.json"))
		case tok == "AAEAAAD/////AQAAAAAAAAAMAgAAAE1NaWNyb3NvZnQu,Q29tbWVyY2U=/+page2==":
			if loop {
				writeJSON(w, 200, fixture(t, "customers_page1.json"))
				return
			}
			writeJSON(w, 200, fixture(t, "customers_page2.json"))
		case tok == "BBEAAAD/////AQ,,+/==page3+=":
			writeJSON(w, 200, fixture(t, "customers_page3.json"))
		default:
			writeJSON(w, 400, []byte(`{"code":"400","description":"bad continuation token"}`))
		}
	}))
	return srv, &seen
}

func TestClient_ListCustomers(t *testing.T) {
	srv, seen := pagedServer(t, false)
	c, _ := mustClient(t, srv.URL, Options{PageSize: 2})
	got, err := c.ListCustomers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cu := range got {
		ids = append(ids, cu.ID[len(cu.ID)-1:])
	}
	if got, want := strings.Join(ids, ","), "1,2,3,4,5"; got != want {
		t.Fatalf("customers = %s, want %s (every page)", got, want)
	}
	if got[2].CompanyName != `=HYPERLINK("x")` {
		t.Fatalf("company name = %q, want it unchanged", got[2].CompanyName)
	}
	want := []string{
		"/v1/customers?size=2 ",
		"/v1/customers?size=2&seekOperation=Next AAEAAAD/////AQAAAAAAAAAMAgAAAE1NaWNyb3NvZnQu,Q29tbWVyY2U=/+page2==",
		"/v1/customers?size=2&seekOperation=Next BBEAAAD/////AQ,,+/==page3+=",
	}
	if strings.Join(*seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests =\n%s\nwant\n%s", strings.Join(*seen, "\n"), strings.Join(want, "\n"))
	}
}

func TestClient_ListCustomers_Loop(t *testing.T) {
	srv, _ := pagedServer(t, true)
	c, _ := mustClient(t, srv.URL, Options{PageSize: 2})
	_, err := c.ListCustomers(context.Background())
	if err == nil || !strings.Contains(err.Error(), "same continuation twice") {
		t.Fatalf("ListCustomers() error = %v, want a loop error", err)
	}
}

func TestClient_ListCustomers_ForeignLink(t *testing.T) {
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, []byte(`{"items":[],"links":{"next":{"uri":"https://evil.example.com/v1/customers","headers":[]}}}`))
	}))
	c, _ := mustClient(t, srv.URL, Options{})
	_, err := c.ListCustomers(context.Background())
	if err == nil || !strings.Contains(err.Error(), "outside the base url") {
		t.Fatalf("ListCustomers() error = %v, want a refusal of the foreign link", err)
	}
}

func TestClient_Agreements(t *testing.T) {
	tests := []struct {
		name      string
		types     []string
		wantQuery string
		wantTypes string
	}{
		{name: "one type", types: nil, wantQuery: "agreementType=MicrosoftCustomerAgreement",
			wantTypes: "MicrosoftCustomerAgreement 2023-02-01,MicrosoftCustomerAgreement 2021-11-05,MicrosoftCustomerAgreement 2019-08-26"},
		{name: "two types ask with star", types: []string{"MicrosoftCloudAgreement", TypeMCA}, wantQuery: "agreementType=%2A",
			wantTypes: "MicrosoftCloudAgreement 2018-06-14,MicrosoftCustomerAgreement 2023-02-01,MicrosoftCustomerAgreement 2021-11-05,MicrosoftCustomerAgreement 2019-08-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var query string
			srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/customers/c-1/agreements" {
					http.NotFound(w, r)
					return
				}
				query = r.URL.RawQuery
				writeJSON(w, 200, fixture(t, "agreements_mixed.json"))
			}))
			c, _ := mustClient(t, srv.URL, Options{Types: tt.types})
			got, err := c.Agreements(context.Background(), "c-1")
			if err != nil {
				t.Fatal(err)
			}
			if query != tt.wantQuery {
				t.Fatalf("query = %q, want %q", query, tt.wantQuery)
			}
			var s []string
			for _, a := range got {
				s = append(s, a.Type+" "+a.DateAgreed.Format("2006-01-02"))
			}
			if strings.Join(s, ",") != tt.wantTypes {
				t.Fatalf("Agreements() = %s, want %s", strings.Join(s, ","), tt.wantTypes)
			}
		})
	}
}

func TestClient_DirectSigned(t *testing.T) {
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/customers/yes/directSignedMicrosoftCustomerAgreementStatus":
			writeJSON(w, 200, fixture(t, "direct_signed_true.json"))
		case "/v1/customers/no/directSignedMicrosoftCustomerAgreementStatus":
			writeJSON(w, 200, []byte(`{"isSigned":false}`))
		default:
			writeJSON(w, 200, []byte(`{}`))
		}
	}))
	c, _ := mustClient(t, srv.URL, Options{})
	for id, want := range map[string]bool{"yes": true, "no": false} {
		got, err := c.DirectSigned(context.Background(), id)
		if err != nil || got != want {
			t.Fatalf("DirectSigned(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	var be *BodyError
	if _, err := c.DirectSigned(context.Background(), "odd"); !errors.As(err, &be) {
		t.Fatalf("DirectSigned without isSigned error = %v, want *BodyError", err)
	}
}

func TestClient_BodyLimit(t *testing.T) {
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, append(fixture(t, "agreements_mixed.json"), strings.Repeat(" ", 4096)...))
	}))
	c, rec := mustClient(t, srv.URL, Options{})
	c.maxBody = 2048
	_, err := c.Agreements(context.Background(), "big")
	var be *BodyError
	if !errors.As(err, &be) || !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("Agreements() error = %v, want a body size error", err)
	}
	if _, code, _ := ErrorFields(err); code != "body_too_large" {
		t.Fatalf("code = %q, want body_too_large", code)
	}
	if n := c.Stats().Requests; n != 1 || len(rec.all()) != 0 {
		t.Fatalf("requests = %d, waits = %v; an oversized body must not be retried", n, rec.all())
	}
	c.maxBody = DefaultMaxBody
	if _, err := c.Agreements(context.Background(), "big"); err != nil {
		t.Fatalf("Agreements() under the default limit: %v", err)
	}
}
