package fetch

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/mcawatch/mcawatch/fetch/pctest"
)

// checkFastDecode fails when decodeAgreementsFast accepts body but its
// result differs from encoding/json's, and returns whether it accepted.
func checkFastDecode(tb testing.TB, body []byte) bool {
	tb.Helper()
	got, ok := decodeAgreementsFast(body)
	if !ok {
		return false
	}
	var want agreementsBody
	if err := json.Unmarshal(body, &want); err != nil {
		tb.Fatalf("decodeAgreementsFast(%q) accepted a body encoding/json refuses: %v", body, err)
	}
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("decodeAgreementsFast(%q) = %+v, encoding/json = %+v", body, got, want)
	}
	return true
}

func TestDecodeAgreementsFast(t *testing.T) {
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{name: "empty collection", body: `{"totalCount":0,"items":[],"attributes":{"objectType":"Collection"}}`, ok: true},
		{name: "white space", body: " {\n\t\"items\" : [ ] , \"totalCount\" : -0 }\r\n", ok: true},
		{name: "userId null", body: `{"items":[{"type":"MicrosoftCustomerAgreement","userId":null}]}`, ok: true},
		{name: "non-ASCII value", body: `{"items":[{"primaryContact":{"lastName":"Schäfer 日本"}}]}`, ok: true},
		{name: "skipped values of every kind", body: `{"x":[1,-2.5e+3,0.0,true,false,null,"\u00e5\n",{"y":[]}],"items":[{"extra":{"a":{"b":"\""}}}]}`, ok: true},
		{name: "escape in a kept value", body: `{"items":[{"type":"Microsoft\u0043ustomerAgreement"}]}`},
		{name: "key in another case", body: `{"Items":[{"type":"x"}]}`},
		{name: "key in another case inside an item", body: `{"items":[{"Type":"x"}]}`},
		{name: "non-ASCII unknown key", body: `{"itemſ":[]}`},
		{name: "duplicate key", body: `{"items":[],"items":[{"type":"x"}]}`},
		{name: "duplicate key inside an item", body: `{"items":[{"type":"x","type":"y"}]}`},
		{name: "null items", body: `{"items":null}`},
		{name: "null item", body: `{"items":[null]}`},
		{name: "null string", body: `{"items":[{"type":null}]}`},
		{name: "number for a string", body: `{"items":[{"type":1}]}`},
		{name: "fraction for totalCount", body: `{"totalCount":1.0,"items":[]}`},
		{name: "invalid UTF-8", body: "{\"items\":[{\"type\":\"\xff\"}]}"},
		{name: "top-level null", body: `null`},
		{name: "trailing comma", body: `{"items":[],}`},
		{name: "trailing data", body: `{"items":[]} {}`},
		{name: "truncated", body: `{"items":[{"type":"MicrosoftCus`},
		{name: "leading zero", body: `{"x":01,"items":[]}`},
		{name: "bad escape in a skipped value", body: `{"x":"\q","items":[]}`},
		{name: "empty", body: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastDecode(t, []byte(tt.body)); got != tt.ok {
				t.Fatalf("decodeAgreementsFast(%q) ok = %v, want %v", tt.body, got, tt.ok)
			}
		})
	}
}

// TestDecodeAgreementsFast_PCTest checks that the answers of the fake
// Partner Center, shaped like the service's, take the fast path.
func TestDecodeAgreementsFast_PCTest(t *testing.T) {
	srv := mustPCTest(t, 300)
	for _, cu := range srv.Customers() {
		for _, typ := range []string{pctest.TypeMCA, pctest.TypeMCloudA, pctest.TypeAll} {
			body, status := fetchAnswer(t, srv, "/v1/customers/"+cu.ID+"/agreements?agreementType="+typ)
			if status == http.StatusForbidden {
				continue // pctest's customers without a reseller relationship
			}
			if !checkFastDecode(t, bytes.TrimPrefix(body, utf8BOM)) {
				t.Fatalf("customer %s, type %s: the fast path refused %s", cu.ID, typ, body)
			}
		}
	}
}

// fetchBody GETs path from srv with the static token and returns the body
// of its 200 answer.
func fetchBody(tb testing.TB, srv *pctest.Server, path string) []byte {
	tb.Helper()
	body, status := fetchAnswer(tb, srv, path)
	if status != http.StatusOK {
		tb.Fatalf("GET %s: status %d", path, status)
	}
	return body
}

// fetchAnswer GETs path from srv with the static token and returns the
// body and status of its 200 or 403 answer.
func fetchAnswer(tb testing.TB, srv *pctest.Server, path string) ([]byte, int) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+pctest.DefaultToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusForbidden {
		tb.Fatalf("GET %s: status %d, %v", path, resp.StatusCode, err)
	}
	return body, resp.StatusCode
}

func FuzzDecodeAgreementsFast(f *testing.F) {
	for _, name := range []string{
		"agreements_seed004_valid.json", "agreements_seed004_malformed.json", "agreements_mixed.json",
		"agreements_truncated.json", "agreements_bad_date.json", "agreements_empty.json",
	} {
		f.Add(fixture(f, name))
	}
	f.Add(bytes.TrimPrefix(fixture(f, "agreements_bom.json"), utf8BOM))
	f.Add([]byte(`{"x":[1,-2.5e+3,0.0,true,false,null,"\u00e5\n",{"y":[]}],"items":[{"userId":null,"primaryContact":{}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFastDecode(t, body)
	})
}
