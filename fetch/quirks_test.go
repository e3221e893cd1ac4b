package fetch

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// canned is one canned HTTP answer.
type canned struct {
	status int
	body   string
	header map[string]string
}

// routeServer serves, for each URL path, its answers in turn (the last one
// repeats) and counts the requests per path. Paths without answers get 404.
type routeServer struct {
	mu     sync.Mutex
	routes map[string][]canned
	hits   map[string]int
	url    string
}

func mustRouteServer(tb testing.TB, routes map[string][]canned) *routeServer {
	tb.Helper()
	rs := &routeServer{routes: routes, hits: map[string]int{}}
	srv := mustServer(tb, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		n := rs.hits[r.URL.Path]
		rs.hits[r.URL.Path]++
		as := rs.routes[r.URL.Path]
		rs.mu.Unlock()
		if len(as) == 0 {
			writeJSON(w, http.StatusNotFound, []byte(`{"code":"600008","description":"not found"}`))
			return
		}
		a := as[min(n, len(as)-1)]
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		writeJSON(w, a.status, []byte(a.body))
	}))
	rs.url = srv.URL
	return rs
}

// count returns the requests seen on path.
func (rs *routeServer) count(path string) int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.hits[path]
}

// agreementsPath is the agreements path of customer id.
func agreementsPath(id string) string { return "/v1/customers/" + id + "/agreements" }

// directSignPath is the direct-sign status path of customer id.
func directSignPath(id string) string {
	return "/v1/customers/" + id + "/directSignedMicrosoftCustomerAgreementStatus"
}

// mcaRecord is an MCA record whose dateAgreed member is dateMember (empty:
// no dateAgreed at all).
func mcaRecord(dateMember string) string {
	rec := `{"primaryContact":{"firstName":"Ana","lastName":"Lund","email":"ana@example.com"},"templateId":"117a99a5-9ac6-4f4c-a8ee-35cfa5d2df6d","type":"MicrosoftCustomerAgreement","agreementLink":"https://aka.ms/customeragreement","userId":null`
	if dateMember != "" {
		rec += `,"dateAgreed":` + dateMember
	}
	return rec + `}`
}

func TestClient_Agreements_UndatedRecordIsAnAcceptance(t *testing.T) {
	tests := []struct {
		name   string
		member string
	}{
		{name: "no dateAgreed", member: ""},
		{name: "dateAgreed null", member: `null`},
		{name: "dateAgreed empty", member: `""`},
		{name: ".NET minimum date", member: `"0001-01-01T00:00:00"`},
		{name: ".NET minimum date with Z", member: `"0001-01-01T00:00:00Z"`},
		{name: ".NET minimum date with fraction", member: `"0001-01-01T00:00:00.0000000"`},
		{name: ".NET minimum date with fraction and Z", member: `"0001-01-01T00:00:00.000Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustRouteServer(t, map[string][]canned{
				agreementsPath("c1"): {{status: 200, body: `{"totalCount":1,"items":[` + mcaRecord(tt.member) + `]}`}},
			})
			c, _ := mustClient(t, rs.url, Options{})
			got, err := c.Agreements(context.Background(), "c1")
			if err != nil {
				t.Fatalf("Agreements() error = %v, want an acceptance with an unknown date", err)
			}
			if len(got) != 1 || got[0].Type != TypeMCA || !got[0].DateAgreed.IsZero() || got[0].Contact.Email != "ana@example.com" {
				t.Fatalf("Agreements() = %+v, want one MCA record with a zero date", got)
			}
		})
	}
}

func TestClient_Agreements_UntrackedRecordNeverFailsTheCustomer(t *testing.T) {
	odd := []string{
		`{"type":"MicrosoftCloudAgreement","dateAgreed":"26/08/2019"}`,
		`{"type":"MicrosoftCloudAgreement","dateAgreed":20190826,"templateId":7,"primaryContact":"nobody","userId":{}}`,
		`{"type":"SomeFutureAgreement","primaryContact":[1,2],"dateAgreed":true}`,
	}
	body := `{"totalCount":4,"items":[` + mcaRecord(`"2024-03-01T00:00:00"`) + `,` + strings.Join(odd, ",") + `]}`
	rs := mustRouteServer(t, map[string][]canned{agreementsPath("c1"): {{status: 200, body: body}}})
	c, _ := mustClient(t, rs.url, Options{})
	got, err := c.Agreements(context.Background(), "c1")
	if err != nil {
		t.Fatalf("Agreements() error = %v, want the MCA record (odd untracked records skipped)", err)
	}
	if len(got) != 1 || got[0].Type != TypeMCA || !got[0].DateAgreed.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Agreements() = %+v, want the one MCA record", got)
	}
}

func TestClient_Sweep_OddTrackedRecordFailsOnlyItsCustomer(t *testing.T) {
	rs := mustRouteServer(t, map[string][]canned{
		agreementsPath("good1"): {{status: 200, body: `{"totalCount":1,"items":[` + mcaRecord(`"2024-03-01T00:00:00"`) + `]}`}},
		agreementsPath("odd"):   {{status: 200, body: `{"totalCount":1,"items":[` + mcaRecord(`20240301`) + `]}`}},
		agreementsPath("good2"): {{status: 200, body: `{"totalCount":1,"items":[` + mcaRecord(`"2023-05-01T00:00:00Z"`) + `]}`}},
	})
	c, _ := mustClient(t, rs.url, Options{})
	results := map[string]Result{}
	err := c.Sweep(context.Background(), []Customer{{ID: "good1"}, {ID: "odd"}, {ID: "good2"}}, func(r Result) error {
		results[r.Customer.ID] = r
		return nil
	})
	if err != nil {
		t.Fatalf("Sweep() error = %v", err)
	}
	if _, code, _ := ErrorFields(results["odd"].Err); code != "malformed_body" {
		t.Fatalf("odd customer's error code = %q (%v), want malformed_body", code, results["odd"].Err)
	}
	for _, id := range []string{"good1", "good2"} {
		if r := results[id]; r.Err != nil || len(r.Agreements) != 1 {
			t.Fatalf("customer %s = %+v, want its acceptance despite its neighbour", id, r)
		}
	}
}

func TestClient_Agreements_BodyThatSaysNothingIsAnError(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr bool
		wantN   int
	}{
		{name: "empty object", body: `{}`, wantErr: true},
		{name: "null", body: `null`, wantErr: true},
		{name: "empty body", body: ``, wantErr: true},
		{name: "byte-order mark then empty object", body: "\xEF\xBB\xBF{}", wantErr: true},
		{name: "null count and null items", body: `{"totalCount":null,"items":null}`, wantErr: true},
		{name: "count without items", body: `{"totalCount":0}`, wantErr: true},
		{name: "count disagrees with items", body: `{"totalCount":3,"items":[]}`, wantErr: true},
		{name: "count below items", body: `{"totalCount":0,"items":[` + mcaRecord(`"2024-03-01T00:00:00"`) + `]}`, wantErr: true},
		{name: "no count, no records", body: `{"items":[]}`, wantErr: true},
		{name: "valid empty answer", body: `{"totalCount":0,"items":[]}`},
		{name: "records without count", body: `{"items":[` + mcaRecord(`"2024-03-01T00:00:00"`) + `]}`, wantN: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustRouteServer(t, map[string][]canned{agreementsPath("c1"): {{status: 200, body: tt.body}}})
			c, _ := mustClient(t, rs.url, Options{})
			got, err := c.Agreements(context.Background(), "c1")
			if tt.wantErr {
				status, code, _ := ErrorFields(err)
				if status != 200 || code != "malformed_body" {
					t.Fatalf("Agreements() = %v, %v (status %d, code %q); want a malformed_body error, not \"no acceptances\"", got, err, status, code)
				}
				if n := rs.count(agreementsPath("c1")); n != 1 {
					t.Fatalf("requests = %d, want 1 (a malformed answer is not retried)", n)
				}
				return
			}
			if err != nil || len(got) != tt.wantN {
				t.Fatalf("Agreements() = %v, %v; want %d records", got, err, tt.wantN)
			}
		})
	}
}

func TestClient_ListCustomers_PageWithoutItemsIsAnError(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `{"totalCount":5}`, `{"totalCount":0,"items":null}`} {
		t.Run(body, func(t *testing.T) {
			rs := mustRouteServer(t, map[string][]canned{"/v1/customers": {{status: 200, body: body}}})
			c, _ := mustClient(t, rs.url, Options{})
			got, err := c.ListCustomers(context.Background())
			if _, code, _ := ErrorFields(err); code != "malformed_body" {
				t.Fatalf("ListCustomers() = %d customers, %v; want a malformed_body error, not zero customers", len(got), err)
			}
		})
	}
	t.Run("empty list", func(t *testing.T) {
		rs := mustRouteServer(t, map[string][]canned{"/v1/customers": {{status: 200, body: `{"totalCount":0,"items":[]}`}}})
		c, _ := mustClient(t, rs.url, Options{})
		got, err := c.ListCustomers(context.Background())
		if err != nil || len(got) != 0 {
			t.Fatalf("ListCustomers() = %v, %v; want an empty list", got, err)
		}
	})
}

func TestClient_Sweep_TypeInAnotherCaseIsTheTrackedType(t *testing.T) {
	rec := strings.Replace(mcaRecord(`"2024-03-01T00:00:00"`), `"MicrosoftCustomerAgreement"`, `"microsoftCustomerAgreement"`, 1)
	rs := mustRouteServer(t, map[string][]canned{
		agreementsPath("c1"): {{status: 200, body: `{"totalCount":1,"items":[` + rec + `]}`}},
		directSignPath("c1"): {{status: 200, body: `{"isSigned":false}`}},
	})
	c, _ := mustClient(t, rs.url, Options{Types: []string{"microsoftcustomeragreement"}})
	var got Result
	err := c.Sweep(context.Background(), []Customer{{ID: "c1"}}, func(r Result) error { got = r; return nil })
	if err != nil || got.Err != nil {
		t.Fatalf("Sweep() = %v, result error %v", err, got.Err)
	}
	if len(got.Agreements) != 1 || got.Agreements[0].Type != TypeMCA {
		t.Fatalf("agreements = %+v, want one record typed %s", got.Agreements, TypeMCA)
	}
	if got.DirectSigned != nil || rs.count(directSignPath("c1")) != 0 {
		t.Fatal("the direct-sign status was asked of a customer with a current MCA acceptance")
	}
}

func TestClient_Agreements_ThrottleMessageIsReadable(t *testing.T) {
	rs := mustRouteServer(t, map[string][]canned{
		agreementsPath("c1"): {{status: 429, body: `{"statusCode":429,"message":"We&#39;re sorry &amp; &quot;busy&quot;: try again later."}`}},
		agreementsPath("c2"): {{status: 403, body: `{"code":13605,"description":"The customer hasn&#39;t accepted the &lt;MCA&gt;."}`}},
	})
	c, _ := mustClient(t, rs.url, Options{MaxAttempts: 2})
	_, err := c.Agreements(context.Background(), "c1")
	status, code, msg := ErrorFields(err)
	if status != 429 || code != "http_429" || !strings.Contains(msg, `We're sorry & "busy": try again later.`) {
		t.Fatalf("ErrorFields() = %d, %q, %q; want 429 with the service's message, unescaped", status, code, msg)
	}
	_, err = c.Agreements(context.Background(), "c2")
	if _, _, msg := ErrorFields(err); !strings.Contains(msg, "The customer hasn't accepted the <MCA>.") {
		t.Fatalf("message = %q, want the description unescaped", msg)
	}
}

func TestClient_Agreements_RetryAfterOnAnyStatus(t *testing.T) {
	date := time.Now().Add(40 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name     string
		status   int
		after    string
		min, max time.Duration
	}{
		{name: "503 seconds", status: 503, after: "20", min: 20 * time.Second, max: 20 * time.Second},
		{name: "500 seconds", status: 500, after: "3", min: 3 * time.Second, max: 3 * time.Second},
		{name: "503 HTTP date", status: 503, after: date, min: 35 * time.Second, max: 41 * time.Second},
		{name: "503 capped", status: 503, after: "86400", min: maxRetryAfter, max: maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustRouteServer(t, map[string][]canned{agreementsPath("c1"): {
				{status: tt.status, body: `{"code":"3000","description":"busy"}`, header: map[string]string{"Retry-After": tt.after}},
				{status: 200, body: `{"totalCount":0,"items":[]}`},
			}})
			c, rec := mustClient(t, rs.url, Options{})
			if _, err := c.Agreements(context.Background(), "c1"); err != nil {
				t.Fatal(err)
			}
			waits := rec.all()
			if len(waits) != 1 || waits[0] < tt.min || waits[0] > tt.max {
				t.Fatalf("waits = %v, want one in [%v, %v] as Retry-After %q asked", waits, tt.min, tt.max, tt.after)
			}
		})
	}
}

func TestClient_Agreements_GatewayPageIsAServerError(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>`
	rs := mustRouteServer(t, map[string][]canned{agreementsPath("c1"): {{status: 502, body: page}}})
	c, rec := mustClient(t, rs.url, Options{MaxAttempts: 3})
	_, err := c.Agreements(context.Background(), "c1")
	status, code, msg := ErrorFields(err)
	if status != 502 || code != "http_502" || !strings.Contains(msg, "Partner Center answered 502 Bad Gateway") {
		t.Fatalf("ErrorFields() = %d, %q, %q; want a 502 server error, not malformed_body", status, code, msg)
	}
	if got := rs.count(agreementsPath("c1")); got != 3 || len(rec.all()) != 2 {
		t.Fatalf("requests = %d, waits = %v; want 3 attempts (a 502 is retried)", got, rec.all())
	}
}

func TestClient_Sweep_NoRelationshipIsRecognisable(t *testing.T) {
	rs := mustRouteServer(t, map[string][]canned{
		agreementsPath("c1"): {{status: 403, body: `{"code":20002,"description":"No relationship between caller and account.","errorName":"NoRelationship"}`}},
		agreementsPath("c2"): {{status: 403, body: `{"code":13605,"description":"not accepted"}`}},
	})
	c, _ := mustClient(t, rs.url, Options{})
	results := map[string]Result{}
	err := c.Sweep(context.Background(), []Customer{{ID: "c1"}, {ID: "c2"}}, func(r Result) error {
		results[r.Customer.ID] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := results["c1"]
	if !errors.Is(r.Err, ErrNoRelationship) {
		t.Fatalf("c1 error = %v, want ErrNoRelationship", r.Err)
	}
	var apiErr *APIError
	if !errors.As(r.Err, &apiErr) || apiErr.Status != 403 || apiErr.Code != "20002" {
		t.Fatalf("c1 error = %#v, want the 403 code 20002 APIError", r.Err)
	}
	status, code, msg := ErrorFields(r.Err)
	if status != 403 || code != CodeNoRelationship || !strings.Contains(msg, "no reseller relationship") {
		t.Fatalf("ErrorFields(c1) = %d, %q, %q; want 403 %s and a label", status, code, msg, CodeNoRelationship)
	}
	if errors.Is(results["c2"].Err, ErrNoRelationship) {
		t.Fatal("a 403 code 13605 matched ErrNoRelationship")
	}
	if _, code, _ := ErrorFields(results["c2"].Err); code != "13605" {
		t.Fatalf("ErrorFields(c2) code = %q, want 13605", code)
	}
}

func TestClient_Sweep_DirectSignAskedWithoutCurrentAcceptance(t *testing.T) {
	list := func(members ...string) []canned {
		var recs []string
		for _, m := range members {
			recs = append(recs, mcaRecord(m))
		}
		return []canned{{status: 200, body: `{"totalCount":` + strconv.Itoa(len(recs)) + `,"items":[` + strings.Join(recs, ",") + `]}`}}
	}
	current := map[string]bool{
		"current":             true,
		"on-the-cut-off":      true,
		"old-and-new":         true,
		"outdated":            false,
		"two-outdated":        false,
		"undated":             false,
		"undated-and-current": true,
		"none":                false,
	}
	routes := map[string][]canned{
		agreementsPath("current"):             list(`"2024-06-01T00:00:00"`),
		agreementsPath("on-the-cut-off"):      list(`"2023-04-01T00:00:00Z"`),
		agreementsPath("old-and-new"):         list(`"2020-01-01T00:00:00"`, `"2023-05-01T00:00:00"`),
		agreementsPath("outdated"):            list(`"2023-03-31T23:59:59Z"`),
		agreementsPath("two-outdated"):        list(`"2019-01-01T00:00:00"`, `"2021-01-01T00:00:00"`),
		agreementsPath("undated"):             list(`"0001-01-01T00:00:00"`),
		agreementsPath("undated-and-current"): list(`null`, `"2025-01-01T00:00:00"`),
		agreementsPath("none"):                {{status: 200, body: `{"totalCount":0,"items":[]}`}},
	}
	var customers []Customer
	for id := range current {
		routes[directSignPath(id)] = []canned{{status: 200, body: `{"isSigned":false}`}}
		customers = append(customers, Customer{ID: id})
	}
	rs := mustRouteServer(t, routes)
	c, _ := mustClient(t, rs.url, Options{CurrentSince: time.Date(2023, 4, 1, 0, 0, 0, 0, time.UTC)})
	asked := 0
	err := c.Sweep(context.Background(), customers, func(r Result) error {
		if r.Err != nil {
			t.Errorf("customer %s: %v", r.Customer.ID, r.Err)
		}
		if got, want := r.DirectSigned != nil, !current[r.Customer.ID]; got != want {
			t.Errorf("customer %s: direct-sign asked = %v, want %v", r.Customer.ID, got, want)
		}
		if r.Attempts > 2 {
			t.Errorf("customer %s: %d requests, want at most 2", r.Customer.ID, r.Attempts)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	withoutCurrent := 0
	for id, cur := range current {
		asked += rs.count(directSignPath(id))
		if !cur {
			withoutCurrent++
		}
	}
	if asked != withoutCurrent {
		t.Fatalf("direct-sign calls = %d, want %d (the customers without a current acceptance)", asked, withoutCurrent)
	}
}
