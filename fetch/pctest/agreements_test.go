package pctest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type agreementsBodyT struct {
	TotalCount int `json:"totalCount"`
	Items      []struct {
		PrimaryContact map[string]string `json:"primaryContact"`
		TemplateID     string            `json:"templateId"`
		DateAgreed     string            `json:"dateAgreed"`
		Type           string            `json:"type"`
		AgreementLink  string            `json:"agreementLink"`
		UserID         *string           `json:"userId"`
	} `json:"items"`
}

// decodeAgreements strips an optional byte-order mark and decodes.
func decodeAgreements(tb testing.TB, body []byte) agreementsBodyT {
	tb.Helper()
	var b agreementsBodyT
	if err := json.Unmarshal(bytes.TrimPrefix(body, []byte(bom)), &b); err != nil {
		tb.Fatalf("decode agreements %q: %v", body, err)
	}
	return b
}

// countType counts c's records of typ ("*" counts all).
func countType(c Customer, typ string) int {
	n := 0
	for _, a := range c.Agreements {
		if typ == TypeAll || strings.EqualFold(a.Type, typ) {
			n++
		}
	}
	return n
}

func TestServer_Agreements(t *testing.T) {
	s := mustServer(t, Options{Customers: 200})
	var both Customer
	for _, c := range s.Customers() {
		if c.HasType(TypeMCA) && c.HasType(TypeMCloudA) {
			both = c
			break
		}
	}
	if both.ID == "" {
		t.Fatal("no customer with both agreement types in the portfolio")
	}
	tests := []struct {
		name       string
		query      string
		status     int
		wantType   string
		violations int64
	}{
		{"mca", "?agreementType=MicrosoftCustomerAgreement", http.StatusOK, TypeMCA, 0},
		{"cloud", "?agreementType=MicrosoftCloudAgreement", http.StatusOK, TypeMCloudA, 0},
		{"all", "?agreementType=*", http.StatusOK, TypeAll, 0},
		{"missing defaults to cloud", "", http.StatusOK, TypeMCloudA, 1},
		{"unknown type", "?agreementType=Bogus", http.StatusBadRequest, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Stats().Violations
			resp, body := get(t, s, "/v1/customers/"+both.ID+"/agreements"+tt.query)
			if got := resp.StatusCode; got != tt.status {
				t.Fatalf("status=%d, want %d: %s", got, tt.status, body)
			}
			if got := s.Stats().Violations - before; got != tt.violations {
				t.Errorf("violations added=%d, want %d", got, tt.violations)
			}
			if tt.status != http.StatusOK {
				return
			}
			b := decodeAgreements(t, body)
			if got, want := len(b.Items), countType(both, tt.wantType); got != want || b.TotalCount != want {
				t.Fatalf("items=%d totalCount=%d, want %d", got, b.TotalCount, want)
			}
			for _, it := range b.Items {
				if tt.wantType != TypeAll && it.Type != tt.wantType {
					t.Errorf("item type %q, want %q", it.Type, tt.wantType)
				}
			}
		})
	}
}

func TestServer_AgreementsWireFormat(t *testing.T) {
	s := mustServer(t, Options{Customers: 300})
	var zoneLess, zoned, nullUser, noPhone, boms int
	for _, c := range s.Customers() {
		if !c.HasType(TypeMCA) || !c.Commerce() {
			continue
		}
		_, body := get(t, s, "/v1/customers/"+c.ID+"/agreements?agreementType=MicrosoftCustomerAgreement")
		if bytes.HasPrefix(body, []byte(bom)) {
			boms++
		}
		b := decodeAgreements(t, body)
		for _, it := range b.Items {
			if it.DateAgreed == "" || it.DateAgreed == "0001-01-01T00:00:00" {
				continue // the undated records are checked by TestServer_QuirkyRecords
			}
			layout := "2006-01-02T15:04:05.000Z"
			if !strings.HasSuffix(it.DateAgreed, "Z") {
				layout = "2006-01-02T15:04:05"
				zoneLess++
			} else {
				zoned++
			}
			d, err := time.Parse(layout, it.DateAgreed)
			if err != nil {
				t.Fatalf("dateAgreed %q: %v", it.DateAgreed, err)
			}
			if !d.Before(DefaultStart) {
				t.Errorf("dateAgreed %s not before Start", d)
			}
			if it.UserID == nil {
				nullUser++
			}
			if _, ok := it.PrimaryContact["phoneNumber"]; !ok {
				noPhone++
			}
		}
	}
	for name, n := range map[string]int{"zone-less dates": zoneLess, "zoned dates": zoned, "null userId": nullUser, "no phoneNumber": noPhone, "BOM answers": boms} {
		if n == 0 {
			t.Errorf("no %s among ~250 answers", name)
		}
	}
}

func TestServer_DirectSign(t *testing.T) {
	s := mustServer(t, Options{Customers: 100})
	for _, c := range s.Customers()[:20] {
		resp, body := get(t, s, "/v1/customers/"+c.ID+"/directSignedMicrosoftCustomerAgreementStatus")
		var d struct {
			IsSigned bool `json:"isSigned"`
		}
		if err := json.Unmarshal(body, &d); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, err %v", resp.StatusCode, err)
		}
		if d.IsSigned != c.DirectSigned {
			t.Errorf("customer %s isSigned=%v, want %v", c.ID, d.IsSigned, c.DirectSigned)
		}
	}
	if got, want := s.Stats().DirectSign, int64(20); got != want {
		t.Errorf("Stats().DirectSign=%d, want %d", got, want)
	}
}

func TestServer_UnknownCustomer(t *testing.T) {
	s := mustServer(t, Options{Customers: 5})
	for _, path := range []string{
		"/v1/customers/00000000-0000-4000-8000-000000000000/agreements?agreementType=*",
		"/v1/customers/00000000-0000-4000-8000-000000000000/directSignedMicrosoftCustomerAgreementStatus",
	} {
		resp, body := get(t, s, path)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"code":"600008"`) {
			t.Errorf("GET %s: %d %s, want 404 with code 600008", path, resp.StatusCode, body)
		}
	}
}

func TestServer_HeaderViolations(t *testing.T) {
	s := mustServer(t, Options{Customers: 3})
	id := s.Customers()[0].ID
	tests := []struct {
		name   string
		header string
		value  string
	}{
		{"accept", "Accept", ""},
		{"request id", "MS-RequestId", ""},
		{"request id not a guid", "MS-RequestId", "retry-1"},
		{"correlation id", "MS-CorrelationId", ""},
		{"locale", "X-Locale", ""},
		{"application", "MS-PartnerCenter-Application", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Stats().Violations
			req := newRequest(t, s, "/v1/customers/"+id+"/agreements?agreementType=*")
			if tt.value == "" {
				req.Header.Del(tt.header)
			} else {
				req.Header.Set(tt.header, tt.value)
			}
			resp, _ := do(t, req)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status=%d, want 200 (still answered)", resp.StatusCode)
			}
			st := s.Stats()
			if got := st.Violations - before; got != 1 {
				t.Errorf("violations added=%d, want 1", got)
			}
			if last := st.ViolationLog[len(st.ViolationLog)-1]; !strings.Contains(last, tt.header) {
				t.Errorf("violation log %q does not name %s", last, tt.header)
			}
		})
	}
}

func TestServer_RequestIDs(t *testing.T) {
	s := mustServer(t, Options{Customers: 3})
	id := s.Customers()[1].ID
	var want []string
	for range 3 {
		req := newRequest(t, s, "/v1/customers/"+strings.ToUpper(id)+"/agreements?agreementType=*")
		want = append(want, req.Header.Get("MS-RequestId"))
		do(t, req)
	}
	get(t, s, "/v1/customers?size=10")
	got := s.RequestIDs(id)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("RequestIDs()=%v, want %v", got, want)
	}
	if c := s.CorrelationIDs(); len(c) != 1 || c[0] != "11111111-2222-4333-8444-555555555555" {
		t.Errorf("CorrelationIDs()=%v, want the one id sent", c)
	}
	s.ResetStats()
	if got := s.RequestIDs(id); len(got) != 0 {
		t.Errorf("RequestIDs() after ResetStats=%v, want none", got)
	}
}

// TestServer_AgreementsFollowChanges checks that an answer rendered once is
// not served after the customer changed.
func TestServer_AgreementsFollowChanges(t *testing.T) {
	s := mustServer(t, Options{Customers: 100})
	types := []string{TypeMCA, TypeMCloudA, "*"}
	// check asks every type of id and compares the records with the portfolio.
	check := func(t *testing.T, id string) {
		t.Helper()
		c, ok := s.Customer(id)
		for _, typ := range types {
			resp, body := get(t, s, "/v1/customers/"+id+"/agreements?agreementType="+typ)
			if !ok {
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("departed customer %s, type %s: status %d, want 404", id, typ, resp.StatusCode)
				}
				continue
			}
			if !c.Commerce() {
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"code":20002`) {
					t.Fatalf("advisor customer %s, type %s: %d %s, want 403 with code 20002", id, typ, resp.StatusCode, body)
				}
				continue
			}
			var dates []string
			for _, it := range decodeAgreements(t, body).Items {
				dates = append(dates, it.Type+" "+it.DateAgreed)
			}
			var want []string
			for _, a := range c.Agreements {
				if typ == TypeAll || strings.EqualFold(a.Type, typ) {
					want = append(want, a.Type+" "+FormatDateAgreed(a))
				}
			}
			if strings.Join(dates, ",") != strings.Join(want, ",") {
				t.Fatalf("customer %s, type %s: answered %v, want %v", id, typ, dates, want)
			}
		}
	}
	all := s.Customers()
	for _, c := range all {
		check(t, c.ID)
	}
	id := all[0].ID
	if err := s.Accept(id, Agreement{Type: TypeMCA, TemplateID: TemplateMCA, AgreementLink: LinkMCA, DateAgreed: time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	check(t, id)
	if err := s.RemoveAgreements(id, TypeMCA); err != nil {
		t.Fatal(err)
	}
	check(t, id)
	ch := s.Evolve(3, 5)
	for _, ids := range [][]string{ch.Accepted, ch.Redated, ch.Removed, ch.Joined, ch.Left} {
		for _, id := range ids {
			check(t, id)
		}
	}
	s.Join(Customer{ID: ch.Left[0], Agreements: []Agreement{{Type: TypeMCloudA, DateAgreed: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)}}})
	check(t, ch.Left[0])
}

func TestQueryValue(t *testing.T) {
	for _, raw := range []string{
		"", "agreementType=MicrosoftCustomerAgreement", "agreementType=%2A", "agreementType=*", "a=1&agreementType=x&agreementType=y",
		"agreementType", "agreementType=", "agreement%54ype=z", "agreementType=%zz&agreementType=ok", "agreementType=a;b&agreementType=c",
		"&&agreementType=+x+", "%zz=1&agreementType=v", "agreementtype=lower",
	} {
		q, _ := url.ParseQuery(raw)
		if got, want := queryValue(raw, "agreementType"), q.Get("agreementType"); got != want {
			t.Errorf("queryValue(%q) = %q, want %q (url.ParseQuery)", raw, got, want)
		}
	}
}
