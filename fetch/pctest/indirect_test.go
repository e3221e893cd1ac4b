package pctest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// filterQuery returns the URL-encoded filter selecting one reseller's customers.
func filterQuery(resellerID string) string {
	return url.QueryEscape(`{"Field":"IndirectReseller","Value":"` + resellerID + `","Operator":"starts_with"}`)
}

// page is a customers page as a client reads it.
type page struct {
	TotalCount int `json:"totalCount"`
	Items      []struct {
		ID string `json:"id"`
	} `json:"items"`
	Links struct {
		Next *struct {
			URI     string `json:"uri"`
			Headers []struct{ Key, Value string }
		} `json:"next"`
	} `json:"links"`
}

// walk lists every page from path, following links.next with its
// continuation header, and returns the ids and the number of pages.
func walk(t *testing.T, s *Server, path string) ([]string, int) {
	t.Helper()
	var ids []string
	var token string
	for pages := 1; pages <= 1000; pages++ {
		req := newRequest(t, s, path)
		if token != "" {
			req.Header.Set("MS-ContinuationToken", token)
		}
		resp, body := do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if p.Items == nil || p.TotalCount != len(p.Items) {
			t.Fatalf("GET %s: totalCount %d, %d items", path, p.TotalCount, len(p.Items))
		}
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		next := p.Links.Next
		if next == nil {
			return ids, pages
		}
		if len(next.Headers) != 1 || next.Headers[0].Key != "MS-ContinuationToken" {
			t.Fatalf("GET %s: next link headers %+v", path, next.Headers)
		}
		path, token = "/v1"+next.URI, next.Headers[0].Value
	}
	t.Fatalf("GET %s: more than 1000 pages", path)
	return nil, 0
}

func TestServer_Relationships_ListsEveryResellerAsDocumented(t *testing.T) {
	s := mustServer(t, Options{Customers: 200, Resellers: 20})
	resp, body := get(t, s, "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d %s", resp.StatusCode, body)
	}
	var ans struct {
		TotalCount int `json:"totalCount"`
		Items      []struct {
			ID, Name, RelationshipType, State, MpnID, Location string
		} `json:"items"`
		Links map[string]any `json:"links"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		t.Fatal(err)
	}
	want := s.Resellers()
	if got := len(ans.Items); got != 20 || ans.TotalCount != 20 || len(want) != 20 {
		t.Fatalf("items = %d, totalCount = %d, Resellers() = %d; want 20 each", got, ans.TotalCount, len(want))
	}
	if ans.Links != nil {
		t.Errorf("links = %v; the list comes in one answer", ans.Links)
	}
	names := map[string]bool{}
	for i, it := range ans.Items {
		w := want[i]
		if it.ID != w.ID || it.Name != w.Name || it.MpnID != w.MPNID || it.State != "Active" || it.Location != w.Location {
			t.Errorf("item %d = %+v, want %+v", i, it, w)
		}
		if it.RelationshipType != "is_indirect_cloud_solution_provider_of" {
			t.Errorf("item %d relationshipType = %q, want the documented is_indirect_cloud_solution_provider_of", i, it.RelationshipType)
		}
		if !isGUID(it.ID) || len(it.MpnID) != 7 {
			t.Errorf("item %d: id %q, mpnId %q", i, it.ID, it.MpnID)
		}
		names[it.Name] = true
	}
	for _, n := range SpecialResellerNames() {
		if !names[n] {
			t.Errorf("reseller name %q missing from a list of 20", n)
		}
	}
	if st := s.Stats(); st.Violations != 0 {
		t.Errorf("violations: %v", st.ViolationLog)
	}
}

func TestServer_Relationships_TypeOtherThanProviderListsNothingOrIs400(t *testing.T) {
	s := mustServer(t, Options{Customers: 50, Resellers: 5})
	for _, tt := range []struct {
		query  string
		status int
		items  int
	}{
		{"relationship_type=isindirectcloudsolutionproviderof", 200, 5},
		{"relationship_type=IsIndirectResellerOf", 200, 0},
		{"", 400, 0},
		{"relationship_type=Reseller", 400, 0},
	} {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := get(t, s, "/v1/relationships?"+tt.query)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d %s, want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status != 200 {
				return
			}
			var ans struct{ Items []json.RawMessage }
			if err := json.Unmarshal(body, &ans); err != nil || ans.Items == nil || len(ans.Items) != tt.items {
				t.Fatalf("items = %d (%v), want %d: %s", len(ans.Items), err, tt.items, body)
			}
		})
	}
}

func TestNew_Resellers_SpreadsCustomersDeterministically(t *testing.T) {
	const n, r = 500, 25
	a := mustServer(t, Options{Customers: n, Resellers: r, Seed: 7})
	b := mustServer(t, Options{Customers: n, Resellers: r, Seed: 7})
	plain := mustServer(t, Options{Customers: n, Seed: 7})
	if !reflect.DeepEqual(a.Customers(), plain.Customers()) {
		t.Fatal("the customers differ with and without resellers")
	}
	if !reflect.DeepEqual(a.Resellers(), b.Resellers()) {
		t.Fatal("two servers of one seed have different resellers")
	}
	rs := a.Resellers()
	pos := map[string]int{}
	for i, x := range rs {
		pos[x.ID] = i
	}
	direct, two := 0, 0
	listed := map[string][]string{} // customer → resellers whose list holds it
	for _, x := range rs {
		for _, id := range a.ResellerCustomers(x.ID) {
			listed[id] = append(listed[id], x.ID)
		}
	}
	for _, c := range a.Customers() {
		of := a.ResellersOf(c.ID)
		if !reflect.DeepEqual(of, b.ResellersOf(c.ID)) {
			t.Fatalf("ResellersOf(%s) differs between two servers of one seed", c.ID)
		}
		if !reflect.DeepEqual(of, listed[c.ID]) {
			t.Fatalf("ResellersOf(%s) = %v, but the listings hold it under %v", c.ID, of, listed[c.ID])
		}
		if !slices.IsSortedFunc(of, func(x, y string) int { return pos[x] - pos[y] }) {
			t.Fatalf("ResellersOf(%s) = %v, not in listing order", c.ID, of)
		}
		switch len(of) {
		case 0:
			direct++
		case 2:
			two++
		}
	}
	if direct != n*directPct/100 || two != n*twoWayPct/100 {
		t.Errorf("direct = %d, through two = %d; want %d and %d", direct, two, n*directPct/100, n*twoWayPct/100)
	}
	if got := a.ResellerCustomers(rs[r-1].ID); len(got) != 0 {
		t.Errorf("last reseller has %d customers, want none", len(got))
	}
	if first, median := len(a.ResellerCustomers(rs[0].ID)), len(a.ResellerCustomers(rs[r/2].ID)); first <= median {
		t.Errorf("first reseller has %d customers, middle one %d: want a skewed channel", first, median)
	}
}

func TestServer_FilteredCustomers_PagesEachResellerWithItsOwnToken(t *testing.T) {
	s := mustServer(t, Options{Customers: 300, Resellers: 6, PageSize: 100})
	rs := s.Resellers()
	for _, x := range rs {
		want := s.ResellerCustomers(x.ID)
		got, pages := walk(t, s, "/v1/customers?size=7&filter="+filterQuery(x.ID))
		if len(got) == 0 && len(want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("reseller %s: listed %d customers, want %d", x.ID, len(got), len(want))
		}
		if wantPages := max(1, (len(want)+6)/7); pages != wantPages {
			t.Errorf("reseller %s: %d pages for %d customers, want %d", x.ID, pages, len(want), wantPages)
		}
	}
	if len(s.ResellerCustomers(rs[0].ID)) <= 7 {
		t.Fatal("the first reseller fits one page; the test does not page")
	}

	// A token works only with the filter it was issued for.
	resp, body := get(t, s, "/v1/customers?size=7&filter="+filterQuery(rs[0].ID))
	var p page
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != 200 || p.Links.Next == nil {
		t.Fatalf("first page: %d %s", resp.StatusCode, body)
	}
	req := newRequest(t, s, "/v1/customers?size=7&filter="+filterQuery(rs[1].ID)+"&seekOperation=Next")
	req.Header.Set("MS-ContinuationToken", p.Links.Next.Headers[0].Value)
	if resp, body := do(t, req); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("token of another filter: %d %s, want 400", resp.StatusCode, body)
	}
	if st := s.Stats(); st.Violations != 1 {
		t.Errorf("violations = %d, want 1 (the foreign token): %v", st.Violations, st.ViolationLog)
	}
}

func TestServer_FilteredCustomers_BadFilterIs400NeverTheFullList(t *testing.T) {
	s := mustServer(t, Options{Customers: 50, Resellers: 3})
	id := s.Resellers()[0].ID
	for _, raw := range []string{
		"filter=" + url.QueryEscape(id),
		"filter=%7B%22Field%22%3A%22IndirectReseller%22",
		"filter=%zz",
		"filter=",
		"filter=" + url.QueryEscape(`{"Field":"IndirectReseller","Value":"`+id+`","Operator":"equals"}`),
		"filter=" + url.QueryEscape(`{"Field":"Reseller","Value":"`+id+`","Operator":"starts_with"}`),
		"filter=" + url.QueryEscape(`{"Field":"IndirectReseller","Value":"","Operator":"starts_with"}`),
		"filter=" + url.QueryEscape(`{"Field":"IndirectReseller","Value":5,"Operator":"starts_with"}`),
	} {
		t.Run(raw, func(t *testing.T) {
			resp, body := get(t, s, "/v1/customers?size=10&"+raw)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d %s, want 400", resp.StatusCode, body)
			}
		})
	}
}

func TestServer_FilteredCustomers_CompanyNameAndDomainPrefixes(t *testing.T) {
	s := mustServer(t, Options{Customers: 100})
	var want []string
	for _, c := range s.Customers() {
		if strings.HasPrefix(strings.ToLower(c.CompanyName), "con") {
			want = append(want, c.ID)
		}
	}
	got, _ := walk(t, s, "/v1/customers?filter="+url.QueryEscape(`{"field":"companyname","value":"CON","operator":"STARTS_WITH"}`))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CompanyName starts_with con: %d customers, want %d", len(got), len(want))
	}
}

func TestServer_SetIndirectFaults_FailsOnlyThatResellersListing(t *testing.T) {
	s := mustServer(t, Options{Customers: 100, Resellers: 4})
	rs := s.Resellers()
	s.SetIndirectFaults(IndirectFaults{Resellers: map[string]Fault{strings.ToUpper(rs[0].ID): Fault500, rs[1].ID: FaultMalformed}})
	for i := range 2 {
		resp, _ := get(t, s, "/v1/customers?filter="+filterQuery(rs[0].ID))
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("attempt %d: status = %d, want 500 every time", i, resp.StatusCode)
		}
	}
	resp, body := get(t, s, "/v1/customers?filter="+filterQuery(rs[1].ID))
	if resp.StatusCode != 200 || json.Valid(body) || !strings.Contains(string(body), "}, ]") {
		t.Fatalf("malformed listing: %d %s; want 200 with a comma after the last item", resp.StatusCode, body)
	}
	if resp, body := get(t, s, "/v1/customers?filter="+filterQuery(rs[2].ID)); resp.StatusCode != 200 || !json.Valid(body) {
		t.Fatalf("another reseller: %d %s", resp.StatusCode, body)
	}
	s.SetIndirectFaults(IndirectFaults{Relationships: Fault503})
	if resp, _ := get(t, s, "/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf"); resp.StatusCode != 503 {
		t.Fatalf("relationships with a fault: %d, want 503", resp.StatusCode)
	}
	if resp, _ := get(t, s, "/v1/customers?filter="+filterQuery(rs[0].ID)); resp.StatusCode != 200 {
		t.Fatalf("after the faults were replaced: %d, want 200", resp.StatusCode)
	}
}

func TestServer_SetResellersOf_MovesACustomerBetweenListings(t *testing.T) {
	s := mustServer(t, Options{Customers: 100, Resellers: 4})
	rs := s.Resellers()
	c := s.ResellerCustomers(rs[0].ID)[0]
	if err := s.SetResellersOf(c, rs[2].ID, rs[1].ID); err != nil {
		t.Fatal(err)
	}
	if got, want := s.ResellersOf(c), []string{rs[1].ID, rs[2].ID}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ResellersOf = %v, want %v", got, want)
	}
	if slices.Contains(s.ResellerCustomers(rs[0].ID), c) {
		t.Fatal("still listed under the reseller it left")
	}
	if got := s.ResellerCustomers(rs[2].ID); got[len(got)-1] != c {
		t.Fatal("not listed last under its new reseller")
	}
	if err := s.SetResellersOf(c); err != nil || s.ResellersOf(c) != nil {
		t.Fatalf("made direct: %v, ResellersOf = %v", err, s.ResellersOf(c))
	}
	if err := s.SetResellersOf(c, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, ErrUnknownReseller) {
		t.Fatalf("unknown reseller: %v", err)
	}
	if err := s.Leave(s.ResellerCustomers(rs[1].ID)[0]); err != nil {
		t.Fatal(err)
	}
	got, _ := walk(t, s, "/v1/customers?filter="+filterQuery(rs[1].ID))
	if want := s.ResellerCustomers(rs[1].ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a customer left: listed %v, want %v", got, want)
	}
}

func TestParseCustomerFilter(t *testing.T) {
	const id = "484e548c-f5f3-4528-93a9-c16c6373cb59"
	for _, tt := range []struct {
		raw  string
		want CustomerFilter
		ok   bool
	}{
		{`{"Field":"IndirectReseller","Value":"` + id + `","Operator":"starts_with"}`, CustomerFilter{FieldIndirectReseller, id, "starts_with"}, true},
		{` {"operator":"Starts_With","value":"484e","field":"indirectreseller","extra":1} `, CustomerFilter{FieldIndirectReseller, "484e", "starts_with"}, true},
		{`{"Field":"Domain","Value":"contoso","Operator":"starts_with"}`, CustomerFilter{FieldDomain, "contoso", "starts_with"}, true},
		{`{"Field":"CompanyName","Value":"Å","Operator":"starts_with"}`, CustomerFilter{FieldCompanyName, "Å", "starts_with"}, true},
		{`{"Field":"IndirectCloudSolutionProvider","Value":"x","Operator":"starts_with"}`, CustomerFilter{}, false},
		{`{"Field":"IndirectReseller","Value":"x"}`, CustomerFilter{}, false},
		{`{"Field":"IndirectReseller","Value":"x","Operator":"equals"}`, CustomerFilter{}, false},
		{`{"Field":"IndirectReseller","Value":null,"Operator":"starts_with"}`, CustomerFilter{}, false},
		{`{"Field":"IndirectReseller","Value":"x","Operator":"starts_with"} {}`, CustomerFilter{}, false},
		{`["IndirectReseller","x","starts_with"]`, CustomerFilter{}, false},
		{`null`, CustomerFilter{}, false},
		{``, CustomerFilter{}, false},
		{id, CustomerFilter{}, false},
		{`{"Field":"IndirectReseller","Value":"` + strings.Repeat("a", 513) + `","Operator":"starts_with"}`, CustomerFilter{}, false},
	} {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseCustomerFilter(tt.raw)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseCustomerFilter() = %+v, %v; want %+v, ok %v", got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrBadFilter) {
				t.Fatalf("error %v does not wrap ErrBadFilter", err)
			}
		})
	}
}

// FuzzParseCustomerFilter checks ParseCustomerFilter against an independent
// reading: an accepted filter is one JSON object whose keys, compared
// without case, give exactly the returned Field, Value and Operator; and a
// filter marshalled from valid parts always parses back to them.
func FuzzParseCustomerFilter(f *testing.F) {
	f.Add(`{"Field":"IndirectReseller","Value":"484e548c-f5f3-4528-93a9-c16c6373cb59","Operator":"starts_with"}`, "IndirectReseller", "x")
	f.Add(`{"field":"domain","value":"a","operator":"STARTS_WITH"}`, "Domain", "Åb")
	f.Add(`{"Field":"CompanyName","Value":"\u00e5","Operator":"starts_with","Value":"b"}`, "CompanyName", `"q"`)
	f.Fuzz(func(t *testing.T, raw, field, value string) {
		got, err := ParseCustomerFilter(raw)
		if err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal([]byte(raw), &m) != nil {
				t.Fatalf("accepted %q, which is not one JSON object", raw)
			}
			for key, want := range map[string]string{"field": got.Field, "value": got.Value, "operator": got.Operator} {
				found := false
				for k, v := range m {
					var s string
					if strings.EqualFold(k, key) && json.Unmarshal(v, &s) == nil && (strings.EqualFold(s, want) && key != "value" || s == want) {
						found = true
					}
				}
				if !found {
					t.Fatalf("accepted %q as %+v: no key %q holds %q", raw, got, key, want)
				}
			}
			if got.Value == "" || got.Operator != "starts_with" {
				t.Fatalf("accepted %q as %+v", raw, got)
			}
		}
		known := field == FieldIndirectReseller || field == FieldDomain || field == FieldCompanyName
		if !known || value == "" || len(value) > maxFilterLen || !utf8.ValidString(value) {
			return
		}
		b, _ := json.Marshal(map[string]string{"Field": field, "Value": value, "Operator": "starts_with"})
		back, err := ParseCustomerFilter(string(b))
		if err != nil || back != (CustomerFilter{field, value, "starts_with"}) {
			t.Fatalf("round trip of %s = %+v, %v", b, back, err)
		}
	})
}

func TestServer_FilteredCustomers_PrefixOfSeveralResellersListsEachCustomerOnce(t *testing.T) {
	s := mustServer(t, Options{Customers: 400, Resellers: 40})
	rs := s.Resellers()
	prefix := rs[0].ID[:1]
	seen := map[string]bool{}
	var want []string
	matched := 0
	for _, r := range rs {
		if !strings.HasPrefix(r.ID, prefix) {
			continue
		}
		matched++
		for _, id := range s.ResellerCustomers(r.ID) {
			if !seen[id] {
				seen[id] = true
				want = append(want, id)
			}
		}
	}
	if matched < 2 {
		t.Fatalf("prefix %q matches %d resellers; the test needs several", prefix, matched)
	}
	got, _ := walk(t, s, "/v1/customers?size=50&filter="+filterQuery(strings.ToUpper(prefix)))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("prefix %q: listed %d customers, want %d", prefix, len(got), len(want))
	}
}
