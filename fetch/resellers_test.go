package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// recordedAnswer returns a file of testdata/recorded (answers of the real service).
func recordedAnswer(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "recorded", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// indirectServer starts pctest as an indirect provider.
func indirectServer(tb testing.TB, opts pctest.Options) *pctest.Server {
	tb.Helper()
	s := pctest.New(opts)
	tb.Cleanup(s.Close)
	return s
}

// pctestClient returns a real Client for s whose waits are recorded, not slept.
func pctestClient(tb testing.TB, s *pctest.Server, opts Options) (*Client, *sleepRecorder) {
	tb.Helper()
	if opts.Token == nil {
		opts.Token = StaticToken(pctest.DefaultToken)
	}
	return mustClient(tb, s.URL(), opts)
}

// serverResellers converts pctest's resellers to the client's type.
func serverResellers(s *pctest.Server) []Reseller {
	var out []Reseller
	for _, r := range s.Resellers() {
		out = append(out, Reseller{ID: r.ID, Name: r.Name, MPNID: r.MPNID, State: r.State})
	}
	return out
}

func TestClient_ResellerAssignments_EachCustomerUnderTheResellersThatReachIt(t *testing.T) {
	s := indirectServer(t, pctest.Options{Customers: 400, Resellers: 15})
	c, _ := pctestClient(t, s, Options{PageSize: 9, Concurrency: 4})
	ctx := context.Background()

	resellers, err := c.ListResellers(ctx)
	if err != nil {
		t.Fatalf("ListResellers: %v", err)
	}
	if got, want := resellers, serverResellers(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("ListResellers() = %+v\nwant %+v", got, want)
	}
	customers, err := c.ListCustomers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.ResetStats()
	a, err := c.ResellerAssignments(ctx, resellers)
	if err != nil {
		t.Fatalf("ResellerAssignments: %v", err)
	}
	if !a.Complete() || len(a.Failed) != 0 {
		t.Fatalf("Failed = %v, want none", a.Failed)
	}
	two, direct := 0, 0
	for _, cu := range customers {
		got, want := a.ResellersOf(strings.ToUpper(cu.ID)), s.ResellersOf(cu.ID)
		if !slices.Equal(got, want) {
			t.Fatalf("customer %s (%s): resellers %v, want %v", cu.ID, cu.CompanyName, got, want)
		}
		switch len(got) {
		case 0:
			direct++
		case 2:
			two++
		}
	}
	if two == 0 || direct == 0 {
		t.Fatalf("%d customers under two resellers, %d direct; the portfolio must have both", two, direct)
	}
	if len(a.ByCustomer) != len(customers)-direct {
		t.Errorf("ByCustomer holds %d customers, want %d: every one reached through a reseller, no other", len(a.ByCustomer), len(customers)-direct)
	}
	st := s.Stats()
	if a.Requests != st.Requests || st.Requests != st.CustomerPages {
		t.Errorf("Assignments.Requests = %d, server saw %d requests, %d customers pages", a.Requests, st.Requests, st.CustomerPages)
	}
	wantPages := 0
	for _, r := range resellers {
		wantPages += max(1, (len(s.ResellerCustomers(r.ID))+8)/9)
	}
	if st.CustomerPages != int64(wantPages) {
		t.Errorf("%d customers pages for the grouping, want %d (one per 9 customers of each reseller)", st.CustomerPages, wantPages)
	}
	if st.Violations != 0 {
		t.Errorf("the server saw %d rule breaches: %v", st.Violations, st.ViolationLog)
	}
}

func TestClient_ListResellerCustomers_FollowsEveryPageOfALargeReseller(t *testing.T) {
	s := indirectServer(t, pctest.Options{Customers: 600, Resellers: 10, PageSize: 20})
	big := s.Resellers()[0]
	want := s.ResellerCustomers(big.ID)
	if len(want) <= 20 {
		t.Fatalf("the largest reseller has %d customers: not more than a page", len(want))
	}
	c, _ := pctestClient(t, s, Options{PageSize: 500}) // the server caps the page at 20
	s.ResetStats()
	got, err := c.ListResellerCustomers(context.Background(), big.ID)
	if err != nil {
		t.Fatalf("ListResellerCustomers: %v", err)
	}
	var ids []string
	for _, cu := range got {
		ids = append(ids, cu.ID)
		if cu.CompanyName == "" || cu.Domain == "" {
			t.Errorf("customer %+v without name or domain", cu)
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("listed %d customers, want the %d the server reaches through %s", len(ids), len(want), big.ID)
	}
	st := s.Stats()
	if pages := int64((len(want) + 19) / 20); st.CustomerPages != pages || st.Violations != 0 {
		t.Errorf("%d pages, %d violations (%v); want %d pages, continuation tokens sent back byte for byte", st.CustomerPages, st.Violations, st.ViolationLog, pages)
	}
}

func TestClient_ResellerAssignments_FailedResellerIsItsErrorNoCustomerLost(t *testing.T) {
	s := indirectServer(t, pctest.Options{Customers: 300, Resellers: 8})
	rs := serverResellers(s)
	failing, broken := rs[1], rs[2]
	s.SetIndirectFaults(pctest.IndirectFaults{Resellers: map[string]pctest.Fault{failing.ID: pctest.Fault500, broken.ID: pctest.FaultMalformed}})
	c, rec := pctestClient(t, s, Options{MaxAttempts: 3})

	a, err := c.ResellerAssignments(context.Background(), rs)
	if err != nil {
		t.Fatalf("ResellerAssignments() error = %v; one reseller's failure must not fail the call", err)
	}
	if len(a.Failed) != 2 || a.Failed[0].Reseller != failing || a.Failed[1].Reseller != broken || a.Complete() {
		t.Fatalf("Failed = %+v, want resellers %s then %s", a.Failed, failing.ID, broken.ID)
	}
	var apiErr *APIError
	if err := a.Failed[0].Err; !errors.As(err, &apiErr) || apiErr.Status != 500 || !strings.Contains(err.Error(), failing.ID) {
		t.Errorf("failed reseller's error = %v, want its 500 answer naming it", err)
	}
	if got := len(rec.all()); got != 2 {
		t.Errorf("%d retry waits, want 2 (three attempts at the failing reseller)", got)
	}
	var be *BodyError
	if err := a.Failed[1].Err; !errors.As(err, &be) {
		t.Errorf("broken reseller's error = %v, want a *BodyError for its malformed page", err)
	}
	if msg := (&a.Failed[0]).Error(); !strings.Contains(msg, failing.Name) {
		t.Errorf("ResellerError = %q, want the reseller's name in it", msg)
	}
	for _, cu := range s.Customers() {
		var want []string
		for _, id := range s.ResellersOf(cu.ID) {
			if id != failing.ID && id != broken.ID {
				want = append(want, id)
			}
		}
		if got := a.ResellersOf(cu.ID); !slices.Equal(got, want) {
			t.Fatalf("customer %s: resellers %v, want %v (every working reseller's customers kept)", cu.ID, got, want)
		}
	}
}

func TestClient_ResellerAssignments_RefusedTokenFailsTheCall(t *testing.T) {
	s := indirectServer(t, pctest.Options{Customers: 50, Resellers: 4})
	c, _ := pctestClient(t, s, Options{Token: StaticToken("not-the-token")})
	a, err := c.ResellerAssignments(context.Background(), serverResellers(s))
	if !errors.Is(err, ErrUnauthorized) || a != nil {
		t.Fatalf("ResellerAssignments() = %v, %v; want ErrUnauthorized: no reseller can be listed", a, err)
	}
}

func TestClient_ResellerAssignments_CancelledContextFailsTheCall(t *testing.T) {
	s := indirectServer(t, pctest.Options{Customers: 50, Resellers: 4})
	c, _ := pctestClient(t, s, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.ResellerAssignments(ctx, serverResellers(s)); !errors.Is(err, context.Canceled) {
		t.Fatalf("ResellerAssignments() error = %v, want context.Canceled", err)
	}
}

func TestClient_ListResellers_DirectPartnerHasNone(t *testing.T) {
	s := indirectServer(t, pctest.Options{Customers: 50})
	c, _ := pctestClient(t, s, Options{})
	rs, err := c.ListResellers(context.Background())
	if err != nil || len(rs) != 0 {
		t.Fatalf("ListResellers() = %v, %v; want none", rs, err)
	}
	a, err := c.ResellerAssignments(context.Background(), rs)
	if err != nil || len(a.ByCustomer) != 0 || !a.Complete() || a.Requests != 0 {
		t.Fatalf("ResellerAssignments(none) = %+v, %v", a, err)
	}
}

func TestResellerFilter_EncodedAsTheDocumentationsExample(t *testing.T) {
	// "Get customers of an indirect reseller", request example (encoded).
	const id = "484e548c-f5f3-4528-93a9-c16c6373cb59"
	const doc = "%7B%22Field%22%3A%22IndirectReseller%22%2C%22Value%22%3A%22484e548c-f5f3-4528-93a9-c16c6373cb59%22%2C%22Operator%22%3A%22starts_with%22%7D"
	if got := ResellerFilter(id); got != doc {
		t.Fatalf("ResellerFilter() = %s\nwant %s", got, doc)
	}
	var mu sync.Mutex
	var queries []string
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		writeJSON(w, 200, []byte(`{"totalCount":0,"items":[]}`))
	}))
	c, _ := mustClient(t, srv.URL, Options{PageSize: 40})
	if got, err := c.ListResellerCustomers(context.Background(), id); err != nil || len(got) != 0 {
		t.Fatalf("ListResellerCustomers() = %v, %v; want no customers", got, err)
	}
	if want := "size=40&filter=" + doc; len(queries) != 1 || queries[0] != want {
		t.Fatalf("query sent = %q, want %q", queries, want)
	}
}

func TestResellerFilter_RoundTripsThroughTheServersParser(t *testing.T) {
	for _, id := range []string{"484e548c-f5f3-4528-93a9-c16c6373cb59", "ABC+/=,&?#% \"quoted\" Å<>", "a"} {
		raw, err := url.QueryUnescape(ResellerFilter(id))
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		f, err := pctest.ParseCustomerFilter(raw)
		if err != nil || f != (pctest.CustomerFilter{Field: "IndirectReseller", Value: id, Operator: "starts_with"}) {
			t.Fatalf("ParseCustomerFilter(%s) = %+v, %v; want the reseller id %q back", raw, f, err, id)
		}
	}
}

func TestClient_ListResellers_RecordedDocsExample(t *testing.T) {
	body := recordedAnswer(t, "relationships_indirect_resellers_docs.json")
	var query string
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Path + "?" + r.URL.RawQuery
		writeJSON(w, 200, body)
	}))
	c, _ := mustClient(t, srv.URL, Options{})
	got, err := c.ListResellers(context.Background())
	if err != nil {
		t.Fatalf("ListResellers: %v", err)
	}
	want := []Reseller{
		{ID: "484e548c-f5f3-4528-93a9-c16c6373cb59", Name: "First Up Consultants", MPNID: "4847383", State: "Active"},
		{ID: "b01b1487-b36e-4e6d-9b5e-0b58974c4b28", Name: "ReleCloud", MPNID: "4847433", State: "Active"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListResellers() = %+v, want %+v", got, want)
	}
	if query != "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf" {
		t.Errorf("request = %s", query)
	}
}

func TestClient_ListResellerCustomers_RecordedDocsExampleIsAnErrorNotNoCustomers(t *testing.T) {
	body := recordedAnswer(t, "customers_indirect_reseller_docs.json")
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, body) }))
	c, _ := mustClient(t, srv.URL, Options{})
	got, err := c.ListResellerCustomers(context.Background(), "484e548c-f5f3-4528-93a9-c16c6373cb59")
	var be *BodyError
	if !errors.As(err, &be) || got != nil {
		t.Fatalf("ListResellerCustomers() = %d customers, %v; want a *BodyError for the comma after the last item", len(got), err)
	}
}

func TestClient_ListResellers_AnswersThatSayNothingAreErrors(t *testing.T) {
	for _, body := range []string{`{}`, `null`, ``, `{"totalCount":1,"items":null}`, `{"totalCount":1,"items":[{"name":"no id"}]}`, `[`} {
		t.Run(body, func(t *testing.T) {
			srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, []byte(body)) }))
			c, _ := mustClient(t, srv.URL, Options{MaxAttempts: 1})
			if got, err := c.ListResellers(context.Background()); err == nil {
				t.Fatalf("ListResellers() = %v, nil error; want an error, never an empty list", got)
			}
			if got, err := c.ListResellerCustomers(context.Background(), "r"); err == nil {
				t.Fatalf("ListResellerCustomers() = %v, nil error; want an error, never no customers", got)
			}
		})
	}
}

func TestClient_ListResellers_FollowsNextLinkAndKeepsEachResellerOnce(t *testing.T) {
	const token = "+RID:~a/b=,#RT:1"
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("seekOperation") != "Next" {
			writeJSON(w, 200, []byte(`{"totalCount":2,"items":[{"id":"r1","name":"A &amp; B","mpnId":1234567,"state":"Active"},{"id":"r2","name":"C"}],
				"links":{"next":{"uri":"/relationships?relationship_type=IsIndirectCloudSolutionProviderOf&seekOperation=Next","method":"GET","headers":[{"key":"MS-ContinuationToken","value":"`+token+`"}]}}}`))
			return
		}
		if r.Header.Get("MS-ContinuationToken") != token {
			writeJSON(w, 400, []byte(`{"code":"400","description":"bad token"}`))
			return
		}
		writeJSON(w, 200, []byte(`{"totalCount":2,"items":[{"id":"R2","name":"C again"},{"id":"r3","name":"D"}]}`))
	}))
	c, _ := mustClient(t, srv.URL, Options{})
	got, err := c.ListResellers(context.Background())
	if err != nil {
		t.Fatalf("ListResellers: %v", err)
	}
	want := []Reseller{{ID: "r1", Name: "A & B", MPNID: "1234567", State: "Active"}, {ID: "r2", Name: "C"}, {ID: "r3", Name: "D"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ListResellers() = %+v, want %+v", got, want)
	}
}

// BenchmarkResellerAssignments_100k measures what grouping 100,000
// customers under 2,000 resellers adds to a sweep: the requests of
// ListResellers and ResellerAssignments against the sweep's own
// (ListCustomers and Sweep), page size 500, no throttle (goal: grouping <
// 5% of the sweep's requests); and the grouping's time with no throttle
// and at 1,000 requests a second. Run it once: -benchtime=1x.
func BenchmarkResellerAssignments_100k(b *testing.B) {
	const customers, resellers = 100_000, 2_000
	s := pctest.New(pctest.Options{Customers: customers, Resellers: resellers, PageSize: 500})
	defer s.Close()
	ctx := context.Background()
	newClient := func() *Client {
		c, err := New(Options{BaseURL: s.URL(), Token: StaticToken(pctest.DefaultToken), PageSize: 500, Concurrency: 16,
			CurrentSince: pctest.DefaultCurrentSince})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	group := func(c *Client) (int64, time.Duration) {
		start := time.Now()
		before := c.Stats().Requests
		rs, err := c.ListResellers(ctx)
		if err != nil || len(rs) != resellers {
			b.Fatalf("ListResellers() = %d resellers, %v", len(rs), err)
		}
		a, err := c.ResellerAssignments(ctx, rs)
		if err != nil || !a.Complete() {
			b.Fatalf("ResellerAssignments() = %v", err)
		}
		return c.Stats().Requests - before, time.Since(start)
	}

	b.Run("ratio", func(b *testing.B) {
		for range b.N {
			c := newClient()
			start := time.Now()
			list, err := c.ListCustomers(ctx)
			if err != nil || len(list) != customers {
				b.Fatalf("ListCustomers() = %d, %v", len(list), err)
			}
			failed := 0
			if err := c.Sweep(ctx, list, func(r Result) error {
				if r.Err != nil && !errors.Is(r.Err, ErrNoRelationship) {
					failed++
				}
				return nil
			}); err != nil || failed > 0 {
				b.Fatalf("Sweep() = %v, %d failed", err, failed)
			}
			sweepReqs, sweepTime := c.Stats().Requests, time.Since(start)
			groupReqs, groupTime := group(c)
			b.ReportMetric(float64(sweepReqs), "sweep-req")
			b.ReportMetric(float64(groupReqs), "group-req")
			b.ReportMetric(float64(groupReqs)/float64(sweepReqs), "group/sweep")
			b.ReportMetric(sweepTime.Seconds(), "sweep-s")
			b.ReportMetric(groupTime.Seconds(), "group-s")
		}
	})
	for _, throttle := range []float64{0, 1000} {
		b.Run(fmt.Sprintf("throttle=%g", throttle), func(b *testing.B) {
			s.SetFaults(pctest.Faults{Throttle: throttle})
			defer s.SetFaults(pctest.Faults{})
			for range b.N {
				reqs, d := group(newClient())
				b.ReportMetric(float64(reqs), "group-req")
				b.ReportMetric(d.Seconds(), "group-s")
			}
		})
	}
}
