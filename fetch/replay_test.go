package fetch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch"
)

// The customers of the replay. The first two are the customers of
// testdata/recorded/customers_docs.json; the last one is the only customer
// of testdata/fetch/customers_page3.json (constructed), served as the page
// after it.
const (
	replayDated     = "b44bb1fb-c595-45b0-9e09-d657365580bf"
	replayMalformed = "45c44870-ef77-4fdd-b6fe-3dacb075cff2"
	replayPage3     = "0c5a7c2e-1111-4a3b-9c2d-000000000005"
)

// replayToken is the continuation token the replay adds to the recorded
// customers page: the token of "Get invoice line items" in Partner Center's
// documentation, commas, slashes and '=' included (no customers page with a
// links.next was found in public material, see testdata/recorded/README.md).
const replayToken = "d19617b8-fbe5-4684-a5d8-0230972fb0cf,0705c4a9-39f7-4261-ba6d-53e24a9ce47d_a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s=,0d81c700-98b4-4b13-9129-ffd5620f72e7"

// recorded returns a file of testdata/recorded (answers of the real service).
func recorded(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "recorded", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// constructed returns a file of testdata/fetch (constructed answers).
func constructed(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "fetch", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// answer is one canned HTTP answer.
type answer struct {
	status int
	header map[string]string
	body   []byte
}

// replayServer serves the recorded answers: the customer listing (the
// recorded page with a links.next added, then the constructed last page),
// the agreement metadata, the relationship request, the direct-sign status
// (signed, for everyone) and one agreements answer a customer.
func replayServer(t *testing.T, agreements map[string]answer) *httptest.Server {
	t.Helper()
	page1 := strings.Replace(string(recorded(t, "customers_docs.json")),
		`"links": {`,
		`"links": {"next": {"uri": "/customers?size=40&seekOperation=Next", "method": "GET", "headers": [{"key": "MS-ContinuationToken", "value": "`+replayToken+`"}]},`, 1)
	if page1 == string(recorded(t, "customers_docs.json")) {
		t.Fatal("customers_docs.json has no links object to add a next link to")
	}
	page3 := constructed(t, "customers_page3.json")
	metadata := map[string][]byte{
		"":                           recorded(t, "agreement_metadata_session.json"),
		"MicrosoftCustomerAgreement": recorded(t, "agreement_metadata_mca_docs.json"),
	}
	relationship := recorded(t, "relationship_request_session.json")
	signed := recorded(t, "direct_signed_docs.json")

	write := func(w http.ResponseWriter, a answer) {
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/customers", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("seekOperation") != "Next" {
			write(w, answer{status: http.StatusOK, body: []byte(page1)})
			return
		}
		if got := r.Header.Get("MS-ContinuationToken"); got != replayToken {
			write(w, answer{status: http.StatusBadRequest, body: []byte(`{"code":"400","description":"continuation token changed: ` + got + `"}`)})
			return
		}
		write(w, answer{status: http.StatusOK, body: page3})
	})
	mux.HandleFunc("GET /v1/agreements", func(w http.ResponseWriter, r *http.Request) {
		write(w, answer{status: http.StatusOK, body: metadata[r.URL.Query().Get("agreementType")]})
	})
	mux.HandleFunc("GET /v1/customers/relationshiprequests", func(w http.ResponseWriter, _ *http.Request) {
		write(w, answer{status: http.StatusOK, body: relationship})
	})
	mux.HandleFunc("GET /v1/customers/{id}/directSignedMicrosoftCustomerAgreementStatus", func(w http.ResponseWriter, _ *http.Request) {
		write(w, answer{status: http.StatusOK, body: signed})
	})
	mux.HandleFunc("GET /v1/customers/{id}/agreements", func(w http.ResponseWriter, r *http.Request) {
		a, ok := agreements[r.PathValue("id")]
		if !ok {
			a = answer{status: http.StatusNotFound, body: []byte(`{"code":"600008","description":"The requested customer was not found."}`)}
		}
		write(w, a)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// replayClient is a real Client for the replay server. One attempt a
// request: a recorded 429 says "Try again in 57 seconds", and the test must
// not wait for it.
func replayClient(t *testing.T, srv *httptest.Server) *fetch.Client {
	t.Helper()
	c, err := fetch.New(fetch.Options{
		BaseURL:      srv.URL,
		Token:        fetch.StaticToken("replay-token"),
		MaxAttempts:  1,
		Concurrency:  2,
		PageSize:     40,
		Timeout:      10 * time.Second,
		CurrentSince: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrapped serves one recorded Agreement resource as the one item of an
// agreements collection, as GET …/agreements answers it.
func wrapped(record []byte) []byte {
	return []byte(`{"totalCount":1,"items":[` + string(record) + `],"attributes":{"objectType":"Collection"}}`)
}

// readable fails the test when s is not text a person can read in a
// report: HTML entities, raw JSON or an empty message.
func readable(t *testing.T, what, s string) {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		t.Errorf("%s is empty", what)
	}
	for _, bad := range []string{"&#39;", "&amp;", "&quot;", "&lt;", `{"`, `":`} {
		if strings.Contains(s, bad) {
			t.Errorf("%s = %q: contains %q, not text a person reads", what, s, bad)
		}
	}
}

func TestClient_ListCustomers_RecordedPages(t *testing.T) {
	srv := replayServer(t, nil)
	got, err := replayClient(t, srv).ListCustomers(context.Background())
	if err != nil {
		t.Fatalf("ListCustomers: %v", err)
	}
	want := []fetch.Customer{
		{ID: replayDated, CompanyName: "companyName", Domain: "domain", Relationship: "reseller"},
		{ID: replayMalformed, CompanyName: "companyName", Domain: "domain", Relationship: "reseller"},
		{ID: replayPage3, CompanyName: "Tailspin Toys", Domain: "tailspin.onmicrosoft.com", Relationship: "reseller"},
	}
	if len(got) != len(want) {
		t.Fatalf("ListCustomers() = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("customer %d = %+v, want %+v (the id, never the tenantId placeholder)", i, got[i], want[i])
		}
	}
}

func TestClient_ListCustomers_RecordedPageNotJSON(t *testing.T) {
	body := recorded(t, "customers_indirect_reseller_docs.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	got, err := replayClient(t, srv).ListCustomers(context.Background())
	if err == nil {
		t.Fatalf("ListCustomers() = %d customers, nil error; want an error for a page that is not JSON", len(got))
	}
	_, code, msg := fetch.ErrorFields(err)
	if code != "malformed_body" {
		t.Errorf("error code %q, want malformed_body (%v)", code, err)
	}
	if strings.Contains(msg, "FourthCoffee137") && strings.Contains(msg, `"companyProfile"`) {
		t.Errorf("message quotes the raw body: %q", msg)
	}
}

func TestClient_Sweep_RecordedAnswers(t *testing.T) {
	created := recorded(t, "agreement_created_docs.json")
	srv := replayServer(t, map[string]answer{
		replayDated:     {status: http.StatusOK, body: wrapped(created)},
		replayMalformed: {status: http.StatusOK, body: recorded(t, "agreements_mca_docs.json")},
		replayPage3:     {status: http.StatusOK, body: constructed(t, "agreements_undated_design.json")},
	})
	c := replayClient(t, srv)
	ctx := context.Background()
	customers, err := c.ListCustomers(ctx)
	if err != nil {
		t.Fatalf("ListCustomers: %v", err)
	}
	got := map[string]fetch.Result{}
	if err := c.Sweep(ctx, customers, func(r fetch.Result) error {
		got[r.Customer.ID] = r
		return nil
	}); err != nil {
		t.Fatalf("Sweep: %v", err)
	}

	t.Run("record created through the API", func(t *testing.T) {
		r := got[replayDated]
		if r.Err != nil || len(r.Agreements) != 1 {
			t.Fatalf("result = %+v, want one record", r)
		}
		a := r.Agreements[0]
		want := fetch.Agreement{
			Type:       "MicrosoftCustomerAgreement",
			DateAgreed: time.Date(2018, 6, 14, 0, 0, 0, 0, time.UTC),
			TemplateID: "117a77b0-9360-443b-8795-c6dedc750cf9",
			Contact:    fetch.Contact{FirstName: "Tania", LastName: "Carr", Email: "someone@example.com", Phone: "1234567890"},
			UserID:     "3d6f2c09-eb40-48ca-a4b3-d24c9c007531",
		}
		if a != want || a.DateAgreed.Location() != time.UTC {
			t.Errorf("record = %+v, want %+v in UTC", a, want)
		}
		// Dated 2018, before the 2023 cut-off: the customer is asked whether
		// it signed directly, and the recorded answer says it did.
		if r.DirectSigned == nil || !*r.DirectSigned {
			t.Errorf("DirectSigned = %v, want asked and true", r.DirectSigned)
		}
	})

	t.Run("documented body that is not JSON", func(t *testing.T) {
		r := got[replayMalformed]
		status, code, msg := fetch.ErrorFields(r.Err)
		if r.Err == nil || status != http.StatusOK || code != "malformed_body" {
			t.Fatalf("result = %+v: status %d code %q, want the customer's malformed_body error", r, status, code)
		}
		if len(r.Agreements) != 0 {
			t.Errorf("records %+v kept from a body that cannot be read", r.Agreements)
		}
		if strings.Contains(msg, "SomeEmail@example.com") {
			t.Errorf("message %q quotes the body's personal data", msg)
		}
	})

	t.Run("undated, .NET minimum date, lower-case type, escaped name", func(t *testing.T) {
		r := got[replayPage3]
		if r.Err != nil {
			t.Fatalf("Err = %v, want the records read", r.Err)
		}
		var undated, current int
		for _, a := range r.Agreements {
			if a.Type != "MicrosoftCustomerAgreement" {
				t.Errorf("record type %q: want the canonical MicrosoftCustomerAgreement, untracked types dropped", a.Type)
			}
			readable(t, "contact last name", a.Contact.LastName)
			switch {
			case a.DateAgreed.IsZero():
				undated++
			case a.DateAgreed.Equal(time.Date(2023, 5, 2, 0, 0, 0, 0, time.UTC)):
				current++
			default:
				t.Errorf("record dated %v, want 2023-05-02 or no date", a.DateAgreed)
			}
		}
		if undated != 2 || current != 1 {
			t.Errorf("%d undated and %d current MCA records, want 2 and 1: %+v", undated, current, r.Agreements)
		}
		for _, a := range r.Agreements {
			if a.Contact.Email == "sean.obrien@contoso.example" && a.Contact.LastName != "O'Brien" {
				t.Errorf("last name %q, want O'Brien", a.Contact.LastName)
			}
		}
		if r.DirectSigned != nil {
			t.Errorf("DirectSigned asked (%v) for a customer with a current record", *r.DirectSigned)
		}
	})

}

func TestClient_Sweep_RecordedErrors(t *testing.T) {
	tests := []struct {
		name       string
		answer     answer
		wantStatus int
		wantCode   string
		wantText   string
	}{
		{"429 with statusCode and message", answer{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "57"}, body: recorded(t, "error_429_docs.json")},
			http.StatusTooManyRequests, "", "Rate limit is exceeded. Try again in 57 seconds."},
		{"403 code 20002, no commerce relationship", answer{status: http.StatusForbidden, body: recorded(t, "error_403_20002_issue.json")},
			http.StatusForbidden, fetch.CodeNoRelationship, "no reseller relationship"},
		{"403 with an empty body", answer{status: http.StatusForbidden, body: recorded(t, "error_403_agreements_empty.txt")},
			http.StatusForbidden, "http_403", ""},
		{"403 with an HTML-escaped description (constructed)", answer{status: http.StatusForbidden, body: constructed(t, "error_403_escaped_design.json")},
			http.StatusForbidden, "600006", "We're sorry, the requested action is not allowed for this customer."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := replayServer(t, map[string]answer{replayDated: tt.answer})
			c := replayClient(t, srv)
			var got fetch.Result
			err := c.Sweep(context.Background(), []fetch.Customer{{ID: replayDated, CompanyName: "companyName", Relationship: "reseller"}}, func(r fetch.Result) error {
				got = r
				return nil
			})
			if err != nil {
				t.Fatalf("Sweep: %v (one customer's answer must never fail the sweep)", err)
			}
			status, code, msg := fetch.ErrorFields(got.Err)
			if got.Err == nil || status != tt.wantStatus {
				t.Fatalf("result = %+v, status %d; want the customer's error with status %d", got, status, tt.wantStatus)
			}
			if tt.wantCode != "" && code != tt.wantCode {
				t.Errorf("code %q, want %q", code, tt.wantCode)
			}
			if !strings.Contains(msg, tt.wantText) {
				t.Errorf("message %q does not say %q", msg, tt.wantText)
			}
			readable(t, "error message", msg)
		})
	}
}

// The recorded invitation link arrives with &amp; between its parameters;
// the link a partner sends must work when clicked.
func TestClient_RelationshipRequestURL_RecordedLinkClickable(t *testing.T) {
	c := replayClient(t, replayServer(t, nil))
	ctx := context.Background()
	link, err := c.RelationshipRequestURL(ctx)
	if err != nil {
		t.Fatalf("RelationshipRequestURL: %v", err)
	}
	want := "https://portal.office.com/partner/partnersignup.aspx?type=ResellerRelationship&id=3b33e682-00c3-41ee-9dd2-a548adf56438&csp=1&msppid=0"
	if link != want {
		t.Errorf("RelationshipRequestURL() = %q, want %q (the recorded &amp; read as &)", link, want)
	}
}

func TestClient_AgreementMetadata_RecordedMCATemplate(t *testing.T) {
	c := replayClient(t, replayServer(t, nil))
	ctx := context.Background()
	got, err := c.AgreementMetadata(ctx, "MicrosoftCustomerAgreement")
	if err != nil {
		t.Fatalf("AgreementMetadata: %v", err)
	}
	want := fetch.AgreementTemplate{TemplateID: "117a77b0-9360-443b-8795-c6dedc750cf9", AgreementType: "MicrosoftCustomerAgreement", AgreementLink: "https://aka.ms/customeragreement"}
	if len(got) != 1 || got[0] != want {
		t.Errorf("AgreementMetadata() = %+v, want [%+v]", got, want)
	}
	if cur, ok := fetch.CurrentTemplate(got); !ok || cur != want {
		t.Errorf("CurrentTemplate() = %+v, %v", cur, ok)
	}
}
