package pctest

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
)

type pageBody struct {
	TotalCount int `json:"totalCount"`
	Items      []struct {
		ID             string `json:"id"`
		CompanyProfile struct {
			TenantID    string `json:"tenantId"`
			Domain      string `json:"domain"`
			CompanyName string `json:"companyName"`
		} `json:"companyProfile"`
		RelationshipToPartner string `json:"relationshipToPartner"`
	} `json:"items"`
	Links struct {
		Next *struct {
			URI     string `json:"uri"`
			Method  string `json:"method"`
			Headers []struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"headers"`
		} `json:"next"`
	} `json:"links"`
}

func TestServer_CustomersPaging(t *testing.T) {
	s := mustServer(t, Options{Customers: 250, PageSize: 100})
	want := s.Customers()

	seen := map[string]int{}
	var tokens []string
	path, token := "/v1/customers?size=500", ""
	pages := 0
	for path != "" {
		req := newRequest(t, s, path)
		if token != "" {
			req.Header.Set("MS-ContinuationToken", token)
		}
		resp, body := do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, body)
		}
		var p pageBody
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("decode page %d: %v", pages, err)
		}
		if got, want := p.TotalCount, len(p.Items); got != want {
			t.Errorf("page %d totalCount=%d, want the page's item count %d", pages, got, want)
		}
		for _, it := range p.Items {
			seen[it.ID]++
			if it.CompanyProfile.TenantID != it.ID {
				t.Errorf("customer %s tenantId=%q", it.ID, it.CompanyProfile.TenantID)
			}
		}
		pages++
		path, token = "", ""
		if p.Links.Next != nil {
			if !strings.HasPrefix(p.Links.Next.URI, "/customers?") || len(p.Links.Next.Headers) != 1 || p.Links.Next.Headers[0].Key != "MS-ContinuationToken" {
				t.Fatalf("next link = %+v", p.Links.Next)
			}
			path, token = "/v1"+p.Links.Next.URI, p.Links.Next.Headers[0].Value
			tokens = append(tokens, token)
		}
	}
	if got, want := pages, 3; got != want {
		t.Errorf("pages=%d, want %d (size capped at PageSize 100)", got, want)
	}
	if got, want := len(seen), len(want); got != want {
		t.Fatalf("distinct customers=%d, want %d", got, want)
	}
	for _, c := range want {
		if seen[c.ID] != 1 {
			t.Errorf("customer %s listed %d times, want once", c.ID, seen[c.ID])
		}
	}
	for _, tok := range tokens {
		for _, ch := range []string{",", "/", "+", "="} {
			if !strings.Contains(tok, ch) {
				t.Errorf("token %q has no %q", tok, ch)
			}
		}
	}
	if st := s.Stats(); st.Violations != 0 || st.CustomerPages != 3 {
		t.Errorf("stats=%+v, want 3 pages and no violations", st)
	}
}

func TestServer_ContinuationTokenByteForByte(t *testing.T) {
	s := mustServer(t, Options{Customers: 30, PageSize: 10})
	resp, body := get(t, s, "/v1/customers?size=10")
	var p pageBody
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != http.StatusOK || p.Links.Next == nil {
		t.Fatalf("first page: status %d, err %v, next %v", resp.StatusCode, err, p.Links.Next)
	}
	next, tok := "/v1"+p.Links.Next.URI, p.Links.Next.Headers[0].Value

	tests := []struct {
		name   string
		token  string
		status int
	}{
		{"exact", tok, http.StatusOK},
		{"missing", "", http.StatusBadRequest},
		{"plus as space", strings.ReplaceAll(tok, "+", " "), http.StatusBadRequest},
		{"url-encoded", strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D", ",", "%2C").Replace(tok), http.StatusBadRequest},
		{"cut at comma", tok[:strings.Index(tok, ",")], http.StatusBadRequest},
		{"last byte changed", tok[:len(tok)-1] + "A", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Stats().Violations
			req := newRequest(t, s, next)
			if tt.token != "" {
				req.Header.Set("MS-ContinuationToken", tt.token)
			}
			resp, body := do(t, req)
			if got := resp.StatusCode; got != tt.status {
				t.Fatalf("status=%d, want %d: %s", got, tt.status, body)
			}
			wantViolations := int64(0)
			if tt.status != http.StatusOK {
				wantViolations = 1
			}
			if got := s.Stats().Violations - before; got != wantViolations {
				t.Errorf("violations added=%d, want %d", got, wantViolations)
			}
		})
	}
}

func TestServer_RelationshipRequest(t *testing.T) {
	s := mustServer(t, Options{Customers: 1})
	resp, body := get(t, s, "/v1/customers/relationshiprequests")
	var rr struct {
		URL        string `json:"url"`
		Attributes struct {
			ObjectType string `json:"objectType"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(body, &rr); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, err %v", resp.StatusCode, err)
	}
	if !strings.HasPrefix(rr.URL, "https://admin.microsoft.com/") || !strings.Contains(rr.URL, "&amp;partnerId="+s.PartnerID()+"&amp;") {
		t.Errorf("url=%q, want an admin.microsoft.com link with partnerId %s, its & HTML-escaped as the service sends it", rr.URL, s.PartnerID())
	}
	if got, want := html.UnescapeString(rr.URL), s.RelationshipURL(); got != want || strings.Contains(want, "&amp;") {
		t.Errorf("unescaped url=%q, RelationshipURL()=%q: want equal, without entities", got, want)
	}
	if got, want := rr.Attributes.ObjectType, "RelationshipRequest"; got != want {
		t.Errorf("objectType=%q, want %q", got, want)
	}
	if again := mustServer(t, Options{Customers: 1}); again.PartnerID() != s.PartnerID() {
		t.Errorf("PartnerID()=%s on a second server with the same seed, want %s", again.PartnerID(), s.PartnerID())
	}
}
