package fetch

import (
	"context"
	"net/http"
	"sync"
	"testing"
)

func TestClient_AgreementMetadata(t *testing.T) {
	body := `{"totalCount":2,"items":[` +
		`{"templateId":"117a99a5-9ac6-4f4c-a8ee-35cfa5d2df6d","agreementType":"MicrosoftCustomerAgreement","agreementLink":"https://aka.ms/customeragreement-2019","versionRank":1},` +
		`{"templateId":"2b5d7e8c-1f4a-4c63-9b8e-7a0d3c9f5e21","agreementType":"microsoftCustomerAgreement","agreementLink":"https://aka.ms/customeragreement","versionRank":2}` +
		`],"attributes":{"objectType":"Collection"}}`
	var mu sync.Mutex
	var reqs []*http.Request
	srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, r)
		n := len(reqs)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			writeJSON(w, 503, []byte(`{"code":"3000","description":"busy"}`))
			return
		}
		writeJSON(w, 200, []byte(body))
	}))
	c, rec := mustClient(t, srv.URL, Options{})
	got, err := c.AgreementMetadata(context.Background(), TypeMCA)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].AgreementType != TypeMCA || got[1].VersionRank != 2 {
		t.Fatalf("AgreementMetadata() = %+v, want two templates, types canonical", got)
	}
	cur, ok := CurrentTemplate(got)
	if !ok || cur.TemplateID != "2b5d7e8c-1f4a-4c63-9b8e-7a0d3c9f5e21" || cur.AgreementLink != "https://aka.ms/customeragreement" {
		t.Fatalf("CurrentTemplate() = %+v, %v; want the versionRank 2 template", cur, ok)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 || len(rec.all()) != 1 {
		t.Fatalf("requests = %d, waits = %v; want one retry", len(reqs), rec.all())
	}
	r := reqs[1]
	if r.URL.Path != "/v1/agreements" || r.URL.Query().Get("agreementType") != TypeMCA {
		t.Fatalf("request = %s, want /v1/agreements?agreementType=%s", r.URL, TypeMCA)
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken || r.Header.Get("MS-CorrelationId") != c.CorrelationID() ||
		r.Header.Get("MS-RequestId") == "" || r.Header.Get("MS-RequestId") != reqs[0].Header.Get("MS-RequestId") {
		t.Fatalf("headers = %v, want the usual ones, one request id across the retry", r.Header)
	}
	if _, ok := CurrentTemplate(nil); ok {
		t.Fatal("CurrentTemplate(nil) reported a template")
	}
}

func TestClient_AgreementMetadata_BodyThatSaysNothing(t *testing.T) {
	for _, body := range []string{`{}`, `null`, `{"totalCount":2,"items":[]}`} {
		srv := mustServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, []byte(body))
		}))
		c, _ := mustClient(t, srv.URL, Options{})
		if _, err := c.AgreementMetadata(context.Background(), TypeMCA); err == nil {
			t.Fatalf("AgreementMetadata() on %s succeeded, want an error", body)
		}
	}
}
